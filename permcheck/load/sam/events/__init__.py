"""A SAM function's `Events` → the permissions each event type implies, by family: push sources
(`push.py`), APIs (`api.py`), EventBridge Scheduler (`scheduler.py`), poll-based sources (`poll.py`);
`dispatch.py` hands each event to its handler, `base.py` holds what they share.

Push sources become an `AWS::Lambda::Permission` on the function (or on its alias, when
`AutoPublishAlias` is set, as SAM does), with the SourceArn/SourceAccount SAM writes; poll-based
sources add what the execution role needs (a managed policy or inline statements); `ScheduleV2`
makes a role for EventBridge Scheduler. Each generated resource's lines are the `Events` entry's.
Behaviour follows samtranslator/model/eventsources/* (push.py, pull.py, cloudwatchlogs.py,
scheduler.py) of aws-sam-translator 1.110.0.
"""
