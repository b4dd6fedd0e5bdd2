"""Lower layers never import upper ones (STYLE.md): checked on the source, with `ast`.

model (values, policies, entities, the operator table) < iam (the evaluation logic over model
values) and load (bytes → model), which do not import each other < graph (indexes, edges, queries)
< rules (the rule engine) < report < cli.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "permcheck"
RANK = {"model": 0, "iam": 1, "data": 1, "load": 2, "config": 2, "graph": 3, "rules": 4, "report": 5, "cli": 6}


def _layer(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "permcheck" else None


def test_no_module_imports_a_layer_above_its_own():
    wrong = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = _layer(".".join(relative.parts))
        if own not in RANK:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            for name in names:
                target = _layer(name)
                if target in RANK and RANK[target] > RANK[own]:
                    wrong.append(f"{relative}: imports {name}")
    assert wrong == []


def test_the_loader_and_the_evaluator_do_not_import_each_other():
    """Tables both need (condition operators) live in model/, below both."""
    crossing = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = _layer(".".join(relative.parts))
        if own not in ("load", "iam"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            crossing += [f"{relative}: imports {n}" for n in names if _layer(n) in ("load", "iam") and _layer(n) != own]
    assert crossing == []


def test_only_the_command_line_reads_inputs():
    """The loader turns bytes into the model; everything after it works on the model alone (STYLE.md),
    so only the command line imports `permcheck.load`."""
    readers = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        own = _layer(".".join(relative.parts))
        if own in ("load", "cli"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            readers += [f"{relative}: imports {n}" for n in names if _layer(n) == "load"]
    assert readers == []
