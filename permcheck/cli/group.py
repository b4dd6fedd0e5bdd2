"""The `permcheck` command group; the commands register on it (queries.py, gate.py, views.py)."""

from __future__ import annotations

import click



@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="permcheck")
def main() -> None:
    """Offline IAM permission analysis for AWS serverless applications.

    PATH arguments are CloudFormation or SAM templates, AWS CLI account snapshots,
    Organizations SCP/RCP files, Terraform plans (terraform show -json), policy
    documents, or directories of them: each file is recognised by its content.
    """
