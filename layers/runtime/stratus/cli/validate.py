"""`stratus validate`: load a Rasa project, check it for consistency, print a summary."""

from __future__ import annotations

import argparse

from stratus.cli.options import add_project_arguments, project_paths
from stratus.shared.exceptions import ProjectError
from stratus.shared.problems import Problem, warning
from stratus.shared.project import Project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project_arguments(parser)
    parser.add_argument(
        "--fail-on-warnings", action="store_true", help="exit 1 when there are warnings too"
    )
    parser.add_argument("--quiet", action="store_true", help="print errors only, no warnings")
    parser.add_argument(
        "--max-history",
        type=int,
        default=None,
        help="turns of history the story structure check compares (default: all)",
    )


def _sort_key(p: Problem) -> tuple[str, int]:
    return (p.file or "", p.line or 0)


def _print_problems(problems: list[Problem], quiet: bool) -> None:
    for p in sorted(problems, key=_sort_key):
        if p.is_error or not quiet:
            print(p)


def run(args: argparse.Namespace) -> int:
    from stratus.shared.project import load_project
    from stratus.shared.validator import summarize, validate

    try:
        project = load_project(project_paths(args))
    except ProjectError as e:
        _print_problems(e.problems, args.quiet)
        count = sum(p.is_error for p in e.problems)
        print(f"\nThe project could not be loaded: {count} error(s).")
        return 1
    if args.max_history is not None and args.max_history < 1:
        print("--max-history must be at least 1.")
        return 1
    problems = [*project.warnings, *validate(project), *_story_conflicts(project, args.max_history)]
    _print_problems(problems, args.quiet)
    errors = [p for p in problems if p.is_error]
    warnings = [p for p in problems if not p.is_error]
    print(f"\nProject {project.paths.root}:")
    print("\n".join(summarize(project).lines()))
    if errors or (warnings and args.fail_on_warnings):
        print(f"\nInvalid: {len(errors)} error(s), {len(warnings)} warning(s).")
        return 1
    print(f"\nValid: {len(warnings)} warning(s).")
    return 0


def _story_conflicts(project: Project, max_history: int | None) -> list[Problem]:
    """Rasa's story structure check: different actions after the same state (warnings,
    as in `rasa data validate`), located at the first story's conflicting step."""
    from stratus.core.story_graph.conflicts import find_story_conflicts

    found = []
    for conflict in find_story_conflicts(
        project.data.stories, project.training_domain(), max_history
    ):
        origin = next((o for o in conflict.origins.values() if o is not None), None)
        found.append(
            warning(
                str(conflict).rstrip(),
                origin.file if origin else None,
                origin.line if origin else None,
            )
        )
    return found
