"""permcheck's `can` against AWS's own policy simulator, via the politest scenario corpus.

Every politest test the CLI contract can express is run through the real command line
(`permcheck can PRINCIPAL ACTION RESOURCE PATH... --format json --closed-context`, in
process through the console script's entry point) and its decision compared with the
simulator's: `allowed` → "allowed"; `explicitDeny` / `implicitDeny` → "denied", and the
kind of denial must match too: an explicit deny is one whose `because` names the Deny
statement that won, an implicit deny names none. A test with several actions (politest's
`actions:`) or resources is one case; each (action, resource) is one `permcheck can`, and
an action over several resources is allowed when it is allowed on every one.

How scenarios become permcheck inputs is in `politest_adapter`. Tests that cannot be
expressed are skipped with the reason; known disagreements are strict xfails whose reason
says who is wrong and why.
"""

from __future__ import annotations

import pytest

from tests.corpus import politest_adapter as politest

# case id → why permcheck and the simulator disagree (strict: fixing it must remove the entry)
DISAGREEMENTS: dict[str, str] = {}


def _params():
    if not politest.POLITEST.is_dir():
        return [pytest.param(None, id="politest-corpus-absent",
                             marks=pytest.mark.skip(reason=f"{politest.POLITEST} is not present"))]
    out = []
    for case in politest.cases():
        marks = []
        if case.skip:
            marks.append(pytest.mark.skip(reason=case.skip))
        elif case.id in DISAGREEMENTS:
            marks.append(pytest.mark.xfail(strict=True, reason=DISAGREEMENTS[case.id]))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


def test_every_disagreement_names_a_case():
    """A stale entry (a renamed test, an edited corpus) must not linger unnoticed."""
    if not politest.POLITEST.is_dir():
        pytest.skip(f"{politest.POLITEST} is not present")
    ids = {case.id for case in politest.cases()}
    assert not set(DISAGREEMENTS) - ids


@pytest.mark.parametrize("case", _params())
def test_politest_case(case: politest.Case, tmp_path):
    mismatches = []
    for action in case.actions:
        denials = []  # (resource, explicit) for each resource that permcheck denies
        for resource in case.resources or ("*",):
            try:
                answer, result, invocation = politest.can(case, action, resource, tmp_path)
            except politest.Unexpressible as why:
                pytest.skip(str(why))
            if result.code == 2 and "not supported by this version of permcheck" in result.err:
                what = result.err.strip().rsplit(": ", 1)[-1]
                pytest.skip(f"{'; '.join(invocation.notes) or 'input'}: permcheck cannot read it yet ({what})")
            assert result.code == 0, f"permcheck {' '.join(invocation.args)}\nexit {result.code}: {result.err}"
            decision, because = answer["decision"], answer["because"]
            if decision == "conditional":
                mismatches.append(f"{action} on {resource}: conditional with --closed-context "
                                  f"({answer['conditions']})")
            elif decision == "denied":
                effects = politest.statement_effects(invocation)
                named = {effects.get((b.get("policy"), b.get("sid"))) for b in because} - {None}
                if named - {"Deny"}:
                    mismatches.append(f"{action} on {resource}: denied, but `because` names Allow statements "
                                      f"{because}")
                denials.append((resource, bool(because)))
        if not denials:
            got = "allowed"
        else:
            got = "explicitDeny" if any(explicit for _, explicit in denials) else "implicitDeny"
        if got != case.expect:
            where = ", ".join(r for r, _ in denials) or ", ".join(case.resources or ("*",))
            mismatches.append(f"{action} on {where}: permcheck {got}, the simulator {case.expect}")
    assert not mismatches, "\n".join(mismatches)
