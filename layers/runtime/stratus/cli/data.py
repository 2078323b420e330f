"""`stratus data split nlu|stories` (`rasa data split ...`), `stratus data convert nlu` (`rasa data
convert nlu`: Rasa's JSON to YAML and back) and `stratus data validate` (`rasa data
validate`, the same checks as `stratus validate`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from stratus.cli import validate as validate_cmd
from stratus.shared.exceptions import ProjectError, StratusError

DEFAULT_OUT = "train_test_split"  # Rasa's


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(
        dest="data_command", metavar="{split,convert,validate}", required=True
    )
    split = sub.add_parser("split", help="split training data into training and test files")
    split_what = split.add_subparsers(dest="split_target", metavar="{nlu,stories}", required=True)
    nlu = split_what.add_parser(
        "nlu",
        help="NLU data, stratified by intent and retrieval response, as rasa data split nlu",
    )
    _split_options(nlu, "NLU data: a file or folder (default: PROJECT/data)", "examples")
    nlu.set_defaults(data_run=split_nlu)
    stories = split_what.add_parser(
        "stories", help="each story file's stories into train_ and test_ files, as Rasa's"
    )
    _split_options(stories, "story files or a folder (default: PROJECT/data)", "stories")
    stories.add_argument("--data", dest="nlu", help=argparse.SUPPRESS)  # an alias of --nlu
    stories.set_defaults(data_run=split_stories)
    convert = sub.add_parser("convert", help="convert training data between formats")
    convert_what = convert.add_subparsers(dest="convert_target", metavar="{nlu}", required=True)
    convert_nlu = convert_what.add_parser(
        "nlu", help="NLU data to Rasa YAML or Rasa JSON, as rasa data convert nlu"
    )
    convert_nlu.add_argument(
        "--data", required=True, help="the NLU data: a file or folder (YAML or Rasa JSON)"
    )
    convert_nlu.add_argument("--out", required=True, help="the file to write")
    convert_nlu.add_argument(
        "-f", "--format", choices=["yaml", "json"], default="yaml", help="(default: yaml)"
    )
    convert_nlu.set_defaults(data_run=convert_nlu_data)
    check = sub.add_parser("validate", help="check the project's data (as stratus validate)")
    validate_cmd.add_arguments(check)
    check.set_defaults(data_run=validate_cmd.run)


def _split_options(parser: argparse.ArgumentParser, data_help: str, what: str) -> None:
    """Rasa's `rasa data split` options (its `--nlu` names the data to split)."""
    parser.add_argument("--project", default=".", help="the Rasa project directory (default: .)")
    parser.add_argument("-u", "--nlu", help=data_help)
    parser.add_argument(
        "--training-fraction",
        type=float,
        default=0.8,
        help=f"share of the {what} for training (default: 0.8)",
    )
    parser.add_argument(
        "--random-seed", type=int, default=None, help="seed, for the same split every time"
    )
    parser.add_argument(
        "--out", default=DEFAULT_OUT, help=f"where to write the files (default: {DEFAULT_OUT})"
    )


def _check_fraction(fraction: float) -> None:
    if not 0.0 < fraction < 1.0:
        raise StratusError(f"--training-fraction must be between 0 and 1, not {fraction}.")


def run(args: argparse.Namespace) -> int:
    return int(args.data_run(args) or 0)


def split_nlu(args: argparse.Namespace) -> int:
    """`training_data.yml` and `test_data.yml`, with the synonyms, regexes and lookup
    tables on both sides, plus `nlg_training_data.yml` and `nlg_test_data.yml`: the
    retrieval responses each side's examples answer with (Rasa's four files)."""
    from stratus.cli.options import load_nlu_data
    from stratus.evaluation.comparison import needed_responses, responses_yaml
    from stratus.evaluation.folds import train_test_split, with_examples
    from stratus.nlu.inputs import retrieval_responses
    from stratus.shared.project import data_responses
    from stratus.shared.training_data.nlu_writer import nlu_yaml

    _check_fraction(args.training_fraction)
    loaded = load_nlu_data(args.project, args.nlu)
    data = loaded.nlu
    responses = retrieval_responses(data_responses(loaded)[0])
    train, test = train_test_split(data.examples, args.training_fraction, args.random_seed)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for name, examples in (("training_data", train), ("test_data", test)):
        (out / f"{name}.yml").write_text(nlu_yaml(with_examples(data, examples)), "utf-8")
        needed = needed_responses(examples, responses)
        (out / f"nlg_{name}.yml").write_text(responses_yaml(needed), "utf-8")
    print(
        f"Wrote {len(train)} training and {len(test)} test examples to {out}/ "
        "(training_data.yml, test_data.yml, nlg_training_data.yml, nlg_test_data.yml)."
    )
    return 0


def convert_nlu_data(args: argparse.Namespace) -> int:
    """One file with all the NLU data of `--data` (examples, synonyms, regexes, lookup
    tables), in Rasa's YAML or JSON. Responses and stories are not NLU data: left out,
    as Rasa leaves them out."""
    from stratus.cli.options import load_nlu_data
    from stratus.shared.training_data.nlu_writer import nlu_json, nlu_yaml

    source = Path(args.data)
    if not source.exists():
        raise StratusError(f"Data file '{source}' does not exist; pass the NLU data with --data.")
    root = source if source.is_dir() else source.parent
    data = load_nlu_data(str(root), str(source)).nlu
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(nlu_json(data) if args.format == "json" else nlu_yaml(data), "utf-8")
    print(f"Wrote {len(data.examples)} examples to {out} ({args.format}).")
    return 0


def split_stories(args: argparse.Namespace) -> int:
    """Rasa's `rasa data split stories`: for each data file with stories, `train_<file>`
    (the file with the training share of its stories, rules and all else kept) and
    `test_<file>` (the other stories). The stories are shuffled and the test share is
    rounded up, as scikit-learn's split that Rasa uses rounds it."""
    import math
    import random

    import yaml

    from stratus.shared.domain.parsing import plain
    from stratus.shared.project import ProjectPaths
    from stratus.shared.training_data import find_data_files
    from stratus.shared.yaml_io import read_yaml

    _check_fraction(args.training_fraction)
    paths = ProjectPaths.discover(args.project, data=[args.nlu] if args.nlu else None)
    out = Path(args.out)
    written = 0
    files, problems = find_data_files(list(paths.data))
    if problems:
        raise ProjectError(problems)
    for file in files:
        content = read_yaml(file)
        stories = content.get("stories") if isinstance(content, dict) else None
        if not stories:
            continue
        stories = list(stories)
        random.Random(args.random_seed).shuffle(stories)
        test_count = math.ceil((1.0 - args.training_fraction) * len(stories))
        if test_count >= len(stories):
            raise StratusError(
                f"{file}: {len(stories)} stories leave none for training at "
                f"--training-fraction {args.training_fraction}."
            )
        out.mkdir(parents=True, exist_ok=True)
        train = plain(content)
        train["stories"] = plain(stories[test_count:])
        test = {"stories": plain(stories[:test_count])}
        if "version" in content:
            test = {"version": str(content["version"]), **test}
        name = Path(file).name
        for prefix, body in (("train_", train), ("test_", test)):
            text = yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=1_000_000)
            (out / f"{prefix}{name}").write_text(text, "utf-8")
        print(
            f"From {file}: {out / ('train_' + name)} with {len(stories) - test_count} stories "
            f"and {out / ('test_' + name)} with {test_count}."
        )
        written += 1
    if not written:
        raise StratusError(f"No stories found in {', '.join(str(p) for p in paths.data)}.")
    return 0
