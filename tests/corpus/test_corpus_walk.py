"""Every CloudFormation template in tests/data/corpus loads without a traceback.

A template permcheck cannot read must be a clean error naming file and line (exit 2), and a
template it can read must answer who-can-invoke for each of its functions. (The SAM inputs,
compared with the official transform's output, are tests/corpus/test_sam_corpus.py.)
"""

from __future__ import annotations

from collections import Counter


from permcheck.load.inputs import Options, kind_of, load_inventory
from permcheck.model.location import InputError
from tests.cli_helpers import bug_signs

FOLDERS = ["cfn-nag", "cfripper", "checkov", "sam-translator/tests/translator/output"]


def _templates(corpus):
    for folder in FOLDERS:
        base = corpus / folder
        for path in sorted(base.rglob("*")):
            if path.suffix in (".json", ".yaml", ".yml", ".template") and path.is_file():
                yield path


def test_every_corpus_template_loads_or_fails_cleanly(corpus):
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.graph.query import who_can_invoke
    from permcheck.load.decode import read_file

    outcomes: Counter = Counter()
    for path in _templates(corpus):
        try:
            document = read_file(str(path))
        except InputError as error:
            assert error.location is not None and error.location.file == str(path)
            outcomes["decode error"] += 1
            continue
        if kind_of(document) not in ("cloudformation", "sam"):
            outcomes["not a template"] += 1
            continue
        try:
            inventory = load_inventory([str(path)], Options())
            edges = Edges(Index(inventory))
            for function in inventory.functions.values():
                who_can_invoke(edges, function)
            outcomes["analysed"] += 1
        except InputError as error:
            assert str(error).strip() and not bug_signs(str(error)), (path, error)
            outcomes["clean error"] += 1
    print(dict(outcomes))
    assert outcomes["analysed"] > 300
