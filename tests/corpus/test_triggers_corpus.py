"""Reading triggers never refuses a template, on every template of the corpus, and what real applications
wire (load/cfn_triggers*.py).

Each template of tests/data/corpus/real-sam and tests/data/corpus/sam-translator (SAM's inputs and the
CloudFormation its transform wrote) is loaded twice: as the command line loads it, and with trigger
reading left out. Both must end the same way — analysed, or refused with the same error: a template
is never refused, nor an error changed, because of its triggers. The real-sam applications' triggers,
counted by source, are pinned in REAL_SAM_COUNTS.
"""

from __future__ import annotations

from collections import Counter

from permcheck.load import cfn_triggers
from permcheck.load.decode import read_file
from permcheck.load.inputs import SUFFIXES, Options, kind_of, load_inventory
from permcheck.model.location import InputError

#: The triggers the real-sam applications wire, by source (execute-api: API routes; events: EventBridge
#: rules; s3, sqs, kinesis, dynamodb, states, appsync as their services name them).
REAL_SAM_COUNTS = {"execute-api": 92, "events": 10, "sqs": 9, "s3": 9, "kinesis": 5, "states": 2, "dynamodb": 1,
                   "appsync": 1}


def _templates(root):
    for path in sorted(root.rglob("*")):
        if path.suffix not in SUFFIXES or not path.is_file():
            continue
        try:
            kind = kind_of(read_file(str(path)))
        except InputError:
            continue
        if kind in ("cloudformation", "sam"):
            yield path


def _outcome(path, options: Options):
    try:
        return load_inventory([str(path)], options).triggers
    except InputError as error:
        return f"refused: {error}"


def _walk(root, options: Options, monkeypatch) -> tuple[Counter, list[str]]:
    counts: Counter = Counter()
    changed = []
    for path in _templates(root):
        with monkeypatch.context() as patch:
            patch.setattr(cfn_triggers, "load", lambda load_: None)
            without = _outcome(path, options)
        found = _outcome(path, options)
        if isinstance(found, str) or isinstance(without, str):
            if found != without:
                changed.append(f"{path}: {without!r} → {found!r}")
            continue
        counts.update(t.source for t in found)
    return counts, changed


def test_reading_triggers_never_refuses_a_real_application(corpus, monkeypatch):
    counts, changed = _walk(corpus / "real-sam", Options(), monkeypatch)
    print(f"\nreal-sam triggers by source: {dict(counts.most_common())}, {sum(counts.values())} in all")
    assert not changed
    assert dict(counts) == REAL_SAM_COUNTS


def test_reading_triggers_never_refuses_a_sam_test_template(corpus, monkeypatch):
    from tests.corpus.test_sam_corpus import OPTIONS
    counts, changed = _walk(corpus / "sam-translator", OPTIONS, monkeypatch)
    assert not changed
    assert sum(counts.values()) > 500  # the transform's outputs wire every kind of source
    assert {"execute-api", "events", "s3", "sns", "sqs", "kinesis", "dynamodb", "kafka", "mq", "states", "scheduler",
            "iot", "logs", "cognito-idp", "appsync"} <= set(counts)
