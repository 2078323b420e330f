"""A Lambda function that moto knows: without docker, moto answers its asynchronous
invocations with 202 and runs no code, which is what the dispatcher tests need."""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile

import boto3

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def create_moto_function(endpoint: str, name: str, region: str = "us-east-1") -> None:
    """Creates `name` (and its role) on the moto server at `endpoint`."""
    config = urllib.request.Request(
        f"{endpoint}/moto-api/config",
        data=json.dumps({"lambda": {"use_docker": False}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    urllib.request.urlopen(config, timeout=10).close()
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=region)
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return {}\n")
    boto3.client("lambda", endpoint_url=endpoint, region_name=region).create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="handler.handler",
        Code={"ZipFile": code.getvalue()},
    )
