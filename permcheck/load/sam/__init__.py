"""SAM: permcheck's own expansion of `AWS::Serverless-2016-10-31` into the CloudFormation it deploys
as, in SAM's own shape — functions (`function.py`), APIs (`apis.py`, `api_checks.py`), events by
family (`events.py`), connectors, GraphQL APIs and the rest (`misc.py`), policies and policy
templates (`policies.py`) — over SAM's schema (`schema.py`) and shared helpers (`core.py`); the
official translator where the expansion stops (`official.py`). `expand.py` is the entry.
"""
