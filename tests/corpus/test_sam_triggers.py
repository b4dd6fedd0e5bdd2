"""The triggers of a SAM template are those of the CloudFormation the official SAM transform writes for it.

For each pair of tests/data/corpus/sam-translator (SAM input → the transform's output, samtranslator
1.110.0), the triggers read from the input through permcheck's expansion (load/sam/trigger_facts.py,
load/cfn_triggers_sam.py) must be those read from the expected output by the CloudFormation readers
(bucket notifications, OpenAPI bodies with the security SAM wrote, Route resources…): the same source,
resource, function, event, authorization, writes and owning resource. Pairs either side refuses are
test_sam_corpus.py's (where refusing is compared with the transform).

Run `python tests/corpus/test_sam_triggers.py [NAME...]` to see the differences.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

from permcheck.load.inputs import load_inventory
from permcheck.model.location import InputError
from tests.corpus.test_sam_corpus import OPTIONS, ROOT, _text, expected_output, names, sam_input

#: Pairs where the triggers differ, and why.
KNOWN: dict[str, str] = {}


def _keys(path: Path) -> Counter:
    out: Counter = Counter()
    for t in load_inventory([str(path)], OPTIONS).triggers:
        said = (t.source, t.resource, t.function, t.event, t.authorization, t.public, t.logical_id,
                *(f"{w.action} {w.resource}" for w in t.writes))
        out[tuple(_text(part, (str(path),)) for part in said)] += 1
    return out


def differences(base: Path, name: str, scratch: Path) -> list[str] | None:
    """What differs between the two (None when either side is refused)."""
    output = base / "output" / f"{name}.json"
    document = json.loads(output.read_text())
    if "errorMessage" in document:
        return None
    try:
        actual = _keys(sam_input(base / "input" / f"{name}.yaml", scratch))
        expected = _keys(expected_output(output, document, scratch))
    except InputError:
        return None
    return [f"{'extra' if actual[k] > expected[k] else 'missing'} {k}" for k in sorted(set(actual) | set(expected))
            if actual[k] != expected[k]]


def test_sam_triggers_are_those_of_the_transforms_output(corpus, tmp_path, monkeypatch):
    from permcheck.load.sam import official as sam_official
    monkeypatch.setattr(sam_official, "available", lambda: False)  # permcheck's own expansion
    base = corpus / ROOT
    compared, wrong = 0, {}
    for name in names(base):
        found = differences(base, name, tmp_path)
        if found is None:
            continue
        compared += 1
        if found and name not in KNOWN:
            wrong[name] = found
    print(f"\nSAM triggers: {compared} pairs compared, {len(KNOWN)} known to differ")
    assert not wrong
    assert compared > 500


if __name__ == "__main__":
    corpus_base = Path(__file__).resolve().parents[1] / "data" / "corpus" / ROOT
    with tempfile.TemporaryDirectory() as folder:
        for pair in sys.argv[1:] or names(corpus_base):
            for line in differences(corpus_base, pair, Path(folder)) or []:
                print(f"{pair}: {line}")
