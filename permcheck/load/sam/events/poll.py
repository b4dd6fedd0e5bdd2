"""Poll-based sources (samtranslator/model/eventsources/pull.py): the event source mapping, and what
the execution role needs to read the source (a managed policy or statements)."""

from __future__ import annotations

from typing import Any

from permcheck.load.sam.core import node, resource
from permcheck.load.sam.policies import aws_managed
from permcheck.load.sam.schema import is_intrinsic
from permcheck.load.sam.events.base import Event, FILTERABLE, KAFKA_AUTH, VPC_ACTIONS


def _pull(ev: Event) -> None:
    """PullEventSource.to_cloudformation: the event source mapping, and the role's policies."""
    props, ctx = ev.props, ev.ctx
    mapping: dict = {"FunctionName": ev.target.name}
    source = {"Kinesis": "Stream", "DynamoDB": "Stream", "MSK": "Stream", "SQS": "Queue", "MQ": "Broker",
              "DocumentDB": "Cluster"}.get(ev.type)
    if source:
        mapping["EventSourceArn"] = props.get(source)
    if props.get("KafkaBootstrapServers") is not None:  # the brokers a self-managed Kafka mapping reads
        mapping["SelfManagedEventSource"] = {"Endpoints": {"KafkaBootstrapServers": props["KafkaBootstrapServers"]}}
    for key in ("StartingPosition", "BatchSize", "Enabled", "Topics", "Queues", "SourceAccessConfigurations",
                "FilterCriteria", "DestinationConfig"):
        if props.get(key) is not None:
            mapping[key] = props[key]
    criteria = props.get("FilterCriteria")
    if criteria and not is_intrinsic(criteria):
        if ev.type not in FILTERABLE:
            raise ev.fail(f"FilterCriteria is only available for {', '.join(FILTERABLE)} events.")
        if list(criteria.keys()) not in ([], ["Filters"]):
            raise ev.fail("FilterCriteria field has a wrong format")
    if props.get("ConsumerGroupId") and ev.type not in ("MSK", "SelfManagedKafka"):
        raise ev.ctx.fail(ev.line, ev.id, f"Property ConsumerGroupId not defined for resource of type {ev.type}.",
                          ev.name)
    destination_policy = None
    destination = props.get("DestinationConfig")
    if destination:
        on_failure = destination.get("OnFailure") if isinstance(destination, dict) else None
        if not isinstance(on_failure, dict):
            raise ctx.fail(ev.line, ev.id, "Property 'DestinationConfig.OnFailure' should be a map.", None)
        kind = on_failure.get("Type")
        if kind:
            if kind not in ("SQS", "SNS", "S3", "Kafka"):
                raise ctx.fail(ev.line, ev.id, "The only valid values for 'Type' are 'SQS', 'SNS', 'S3', and 'Kafka'")
            destination_policy = destination_policy_for(kind, on_failure.get("Destination"), ev.id)
    ctx.add(ev.id, resource("AWS::Lambda::EventSourceMapping", mapping, ev.line, ev.note, ev.target.attributes),
            ev.fn_id, ev.line)
    managed = {"Kinesis": "service-role/AWSLambdaKinesisExecutionRole",
               "DynamoDB": "service-role/AWSLambdaDynamoDBExecutionRole",
               "SQS": "service-role/AWSLambdaSQSQueueExecutionRole",
               "MSK": "service-role/AWSLambdaMSKExecutionRole"}.get(ev.type)
    statements = POLL_STATEMENTS.get(ev.type, lambda e: None)(ev)
    if managed:
        ev.role.add_managed(aws_managed(ctx, managed), ev.line)
    for policy in statements or []:
        ev.role.add_document(node(policy, ev.line))
    if destination_policy:
        ev.role.add_document(node(destination_policy, ev.line))


def destination_policy_for(kind: str, destination: Any, logical_id: str) -> dict | None:
    """IAMRolePolicies for an on-failure / event-invoke destination."""
    if kind == "SQS":
        return {"PolicyName": logical_id + "SQSPolicy", "PolicyDocument": {"Statement": [
            {"Action": "sqs:SendMessage", "Effect": "Allow", "Resource": destination}]}}
    if kind == "SNS":
        return {"PolicyName": logical_id + "SNSPolicy", "PolicyDocument": {"Statement": [
            {"Action": "sns:publish", "Effect": "Allow", "Resource": destination}]}}
    if kind in ("S3", "S3Bucket"):
        return {"PolicyName": logical_id + "S3Policy", "PolicyDocument": {"Statement": [
            {"Action": "s3:PutObject", "Effect": "Allow", "Resource": {"Fn::Join": ["/", [destination, "*"]]}},
            {"Action": "s3:ListBucket", "Effect": "Allow", "Resource": destination}]}}
    if kind == "EventBridge":
        return {"PolicyName": logical_id + "EventBridgePolicy", "PolicyDocument": {"Statement": [
            {"Action": "events:PutEvents", "Effect": "Allow", "Resource": destination}]}}
    if kind == "Lambda":
        return {"PolicyName": logical_id + "LambdaPolicy", "PolicyDocument": {"Statement": [
            {"Action": "lambda:InvokeFunction", "Effect": "Allow", "Resource": destination}]}}
    return None


def _kms(key_id: Any) -> dict:
    return {"Action": ["kms:Decrypt"], "Effect": "Allow",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/" + key_id}}


def _check_kms(ev: Event) -> None:
    key = ev.props.get("SecretsManagerKmsKeyId")
    if key and not isinstance(key, str):
        raise ev.fail("Property 'SecretsManagerKmsKeyId' should be a string.")


def _access_uri(ev: Event, supported: list[str], required: str) -> Any:
    """PullEventSource._validate_source_access_configurations."""
    configs = ev.props.get("SourceAccessConfigurations")
    if not configs:
        raise ev.fail(f"No SourceAccessConfigurations for Amazon {ev.type} event provided.")
    if not isinstance(configs, list):
        raise ev.fail("Provided SourceAccessConfigurations cannot be parsed into a list.")
    uri = None
    for index, conf in enumerate(configs):
        if not isinstance(conf, dict):
            raise ev.fail(f"Property 'SourceAccessConfigurations[{index}]' should be a map.")
        kind = conf.get("Type")
        if not isinstance(kind, str):
            raise ev.fail(f"Property 'SourceAccessConfigurations[{index}].Type' should be a string.")
        if kind not in supported:
            raise ev.fail(f"Invalid property Type specified in SourceAccessConfigurations. The supported values "
                          f"are: {supported}.")
        if kind == required:
            if uri:
                raise ev.fail(f"Multiple {required} properties specified in SourceAccessConfigurations.")
            uri = conf.get("URI")
            if not uri:
                raise ev.fail(f"No {required} URI property specified in SourceAccessConfigurations.")
    if not uri:
        raise ev.fail(f"No {required} property specified in SourceAccessConfigurations.")
    return uri


def _schema_registry(ev: Event) -> list[dict]:
    config = ev.props.get("SchemaRegistryConfig")
    if not config:
        return []
    if not isinstance(config, dict):
        raise ev.fail("Property 'SchemaRegistryConfig' should be a map.")
    for required in ("SchemaRegistryURI", "EventRecordFormat", "SchemaValidationConfigs"):
        if required not in config:
            raise ev.fail(f"Missing required field {required} in SchemaRegistryConfig")
    if config.get("EventRecordFormat") not in ("JSON", "SOURCE"):
        raise ev.fail("EventRecordFormat in SchemaRegistryConfig must be either 'JSON' or 'SOURCE'")
    if not isinstance(config.get("SchemaValidationConfigs"), list):
        raise ev.fail("SchemaValidationConfigs must be a list")
    access = config.get("AccessConfigs", [])
    if access:
        if not isinstance(access, list):
            raise ev.fail("AccessConfigs in SchemaRegistryConfig must be a list")
        for item in access:
            if not isinstance(item, dict) or "Type" not in item or "URI" not in item:
                raise ev.fail("Each AccessConfig must be a dict with 'Type' and 'URI' fields")
    statements = [{"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": item["URI"]}
                  for item in access or [] if isinstance(item, dict) and "URI" in item]
    uri = config.get("SchemaRegistryURI")
    arn = uri if isinstance(uri, str) else None
    if isinstance(uri, dict):
        from permcheck.load.sam.core import resolve_params
        resolved = resolve_params(ev.ctx, uri)
        arn = resolved.get("Fn::Sub") if isinstance(resolved, dict) else None
    registry = None
    if isinstance(str(arn), str) and str(arn).startswith("arn"):
        parts = str(arn).split(":")
        if len(parts) >= 6 and parts[5].startswith("registry/"):
            registry = parts[5][len("registry/"):]
    if registry is not None:
        statements.append({"Action": ["glue:GetRegistry"], "Effect": "Allow", "Resource": uri})
        statements.append({"Action": ["glue:GetSchemaVersion"], "Effect": "Allow", "Resource": [
            {"Fn::Sub": "arn:${AWS::Partition}:glue:${AWS::Region}:${AWS::AccountId}:schema/" + registry + "/*"}]})
    return statements


def _msk(ev: Event) -> list | None:
    statements = _schema_registry(ev)
    for conf in ev.props.get("SourceAccessConfigurations") or []:
        if isinstance(conf, dict) and conf.get("Type") == "CLIENT_CERTIFICATE_TLS_AUTH" and conf.get("URI"):
            statements.append({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow",
                               "Resource": conf.get("URI")})
    return [{"PolicyName": "MSKExecutionRolePolicy", "PolicyDocument": {"Statement": statements}}] \
        if statements else None


def _mq(ev: Event) -> list:
    uri = _access_uri(ev, ["BASIC_AUTH", "VIRTUAL_HOST"], "BASIC_AUTH")
    statements = [{"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": uri},
                  {"Action": ["mq:DescribeBroker"], "Effect": "Allow", "Resource": ev.props.get("Broker")}]
    if ev.props.get("SecretsManagerKmsKeyId"):
        _check_kms(ev)
        statements.append({**_kms(ev.props["SecretsManagerKmsKeyId"]), "Action": "kms:Decrypt"})
    name = f"{ev.id}AMQPolicy" if ev.props.get("DynamicPolicyName") else "SamAutoGeneratedAMQPolicy"
    return [{"PolicyName": name, "PolicyDocument": {"Statement": statements}}]


def _self_managed_kafka(ev: Event) -> list:
    props = ev.props
    if not props.get("KafkaBootstrapServers"):
        raise ev.fail("No KafkaBootstrapServers provided for self managed kafka as an event source")
    if not props.get("Topics"):
        raise ev.fail("No Topics provided for self managed kafka as an event source")
    if len(props["Topics"]) != 1:
        raise ev.fail("Topics for self managed kafka only supports single configuration entry.")
    configs = props.get("SourceAccessConfigurations")
    if not configs:
        raise ev.fail("No SourceAccessConfigurations for self managed kafka event provided.")
    if not isinstance(configs, list):
        raise ev.fail("SourceAccessConfigurations for self managed kafka event should be a list.")
    auth = auth2 = None
    subnet = group = False

    def check(uri: Any, what: str) -> None:
        if not uri:
            raise ev.fail(f"No {what} URI property specified in SourceAccessConfigurations for self managed kafka "
                          "event.")
        if not isinstance(uri, str) and not is_intrinsic(uri):
            raise ev.fail(f"Wrong Type for {what} URI property specified in SourceAccessConfigurations for self "
                          "managed kafka event.")
    for conf in configs:
        if not isinstance(conf, dict):
            raise ev.fail("Property 'SourceAccessConfigurations' should be a map.")
        kind = conf.get("Type")
        if kind == "VPC_SUBNET":
            check(conf.get("URI"), "VPC_SUBNET")
            subnet = True
        elif kind == "VPC_SECURITY_GROUP":
            check(conf.get("URI"), "VPC_SECURITY_GROUP")
            group = True
        elif kind in KAFKA_AUTH:
            if auth:
                raise ev.fail("Multiple auth mechanism properties specified in SourceAccessConfigurations for self "
                              "managed kafka event.")
            check(conf.get("URI"), "auth mechanism")
            auth = conf.get("URI")
        elif kind == "SERVER_ROOT_CA_CERTIFICATE":
            check(conf.get("URI"), "SERVER_ROOT_CA_CERTIFICATE")
            auth2 = conf.get("URI")
        else:
            raise ev.fail("Invalid SourceAccessConfigurations Type provided for self managed kafka event.")
    if subnet != group:
        raise ev.fail("VPC_SUBNET and VPC_SECURITY_GROUP in SourceAccessConfigurations for SelfManagedKafka must be "
                      "both provided.")
    statements = []
    if auth:
        statements.append({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": auth})
    if auth2:  # SAM adds the auth mechanism's secret again here (sic), not the CA certificate's
        statements.append({"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": auth})
    if subnet and group:
        statements.append({"Action": VPC_ACTIONS, "Effect": "Allow", "Resource": "*"})
    if props.get("SecretsManagerKmsKeyId"):
        _check_kms(ev)
        statements.append(_kms(props["SecretsManagerKmsKeyId"]))
    statements += _schema_registry(ev)
    return [{"PolicyDocument": {"Statement": statements, "Version": "2012-10-17"},
             "PolicyName": "SelfManagedKafkaExecutionRolePolicy"}]


def _document_db(ev: Event) -> list:
    uri = _access_uri(ev, ["BASIC_AUTH"], "BASIC_AUTH")
    statements = [
        {"Action": ["secretsmanager:GetSecretValue"], "Effect": "Allow", "Resource": uri},
        {"Action": ["rds:DescribeDBClusterParameters"], "Effect": "Allow",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster-pg:*"}},
        {"Action": ["rds:DescribeDBSubnetGroups"], "Effect": "Allow",
         "Resource": {"Fn::Sub": "arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:subgrp:*"}},
        {"Action": ["rds:DescribeDBClusters"], "Effect": "Allow", "Resource": ev.props.get("Cluster")},
        {"Action": VPC_ACTIONS, "Effect": "Allow", "Resource": "*"},
    ]
    if ev.props.get("SecretsManagerKmsKeyId"):
        _check_kms(ev)
        statements.append(_kms(ev.props["SecretsManagerKmsKeyId"]))
    return [{"PolicyName": "SamAutoGeneratedDocumentDBPolicy", "PolicyDocument": {"Statement": statements}}]


POLL_STATEMENTS = {"MSK": _msk, "MQ": _mq, "SelfManagedKafka": _self_managed_kafka, "DocumentDB": _document_db}
