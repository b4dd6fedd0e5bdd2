"""Every file of the corpus through the loader and who-can-invoke: InputError or an answer.

tests/corpus/test_corpus_walk.py reads the CloudFormation and SAM templates; this test takes
every candidate file of the corpus (templates, SAM translator inputs and outputs, snapshots,
politest scenarios — whatever it is), loads it alone as the command line would when it is named,
and asks who can invoke each function it defines. The only exception allowed is InputError,
and it must name that file: anything else would be a traceback (or an internal error) for a user.

The corpus is tests/data/corpus (see its README.md).
"""

from __future__ import annotations

import time
from collections import Counter

from permcheck.load.inputs import SUFFIXES, Options, load_inventory
from permcheck.model.location import InputError
from tests.cli_helpers import bug_signs


def test_every_corpus_file_loads_and_answers_who_can_invoke_or_fails_cleanly(corpus_tree):
    from permcheck.graph.edges import Edges
    from permcheck.graph.index import Index
    from permcheck.graph.query import who_can_invoke
    from permcheck.report.answers_json import to_json

    outcomes: Counter = Counter()
    start = time.monotonic()
    files = corpus_tree.files(SUFFIXES)
    for path in files:
        try:
            inventory = load_inventory([str(path)], Options())
            edges = Edges(Index(inventory))
            for function in inventory.functions.values():
                answer = to_json(who_can_invoke(edges, function))
                assert answer["function"] and isinstance(answer["principals"], list), path
                outcomes["answers"] += 1
        except InputError as error:
            assert error.location is not None and error.location.file == str(path), (path, error)
            assert str(error).strip() and not bug_signs(str(error)), (path, error)
            outcomes["clean error"] += 1
            continue
        outcomes["analysed"] += 1
    print(f"{len(files)} files in {time.monotonic() - start:.1f} s: {dict(outcomes)}")
    assert outcomes["analysed"] > 850 and outcomes["answers"] > 650  # 903 and 711 when written
