"""The properties each SAM resource and event type accepts, as the SAM translator checks them.

SAM rejects a template whose SAM resource or event names a property it does not define, omits
a required one, or gives one a value of the wrong shape (a value that is a one-key mapping, an
intrinsic, passes unchecked unless the property says otherwise). permcheck checks the same so
that a template SAM would refuse is refused here too, at the line of the property.

Shapes: "any" (passed through to CloudFormation, unchecked), "str", "dict", "list", "bool",
"int" (a bool passes too, as in Python), "str|dict", "dict|bool", "str|list" (a string or a list
of strings), "list[str]", "dict[dict]" (a mapping of mappings), "dict[str]" (a mapping of
strings), "dict|list[dict]", "enum:A,B". A leading "!" means intrinsics are checked too (SAM's
`Property`/`PropertyType(supports_intrinsics=False)`).
Source: the `property_types` of samtranslator 1.110.0 (model/sam_resources.py, model/eventsources/*,
model/stepfunctions/events.py), Apache-2.0.
"""

from __future__ import annotations

ANY = "any"

_PULL = {
    "BatchSize": (False, "int"), "StartingPosition": (False, ANY), "StartingPositionTimestamp": (False, ANY),
    "Enabled": (False, "bool"), "MaximumBatchingWindowInSeconds": (False, "int"),
    "MaximumRetryAttempts": (False, "int"), "BisectBatchOnFunctionError": (False, "bool"),
    "MaximumRecordAgeInSeconds": (False, "int"), "DestinationConfig": (False, "dict"),
    "ParallelizationFactor": (False, "int"), "Topics": (False, "list"), "Queues": (False, "list"),
    "SourceAccessConfigurations": (False, "list"), "SecretsManagerKmsKeyId": (False, "str"),
    "TumblingWindowInSeconds": (False, "int"), "FunctionResponseTypes": (False, "list"),
    "KafkaBootstrapServers": (False, "list"), "FilterCriteria": (False, "dict"), "KmsKeyArn": (False, ANY),
    "ConsumerGroupId": (False, "str"), "ScalingConfig": (False, "dict"), "ProvisionedPollerConfig": (False, "dict"),
    "SchemaRegistryConfig": (False, "dict"), "MetricsConfig": (False, "dict"), "LoggingConfig": (False, "dict"),
}
_RULE = {
    "EventBusName": (False, "str"), "RuleName": (False, "str"), "Pattern": (False, "dict"),
    "DeadLetterConfig": (False, "dict"), "RetryPolicy": (False, "dict"), "Input": (False, "str"),
    "InputPath": (False, "str"), "Target": (False, "dict"), "Enabled": (False, "bool"), "State": (False, "str"),
    "InputTransformer": (False, "dict"),
}
_SCHEDULE_V2 = {
    "PermissionsBoundary": (False, "str"), "ScheduleExpression": (True, "str"),
    "FlexibleTimeWindow": (False, "dict"), "Name": (False, "str"), "State": (False, "str"),
    "Description": (False, "str"), "StartDate": (False, "str"), "EndDate": (False, "str"),
    "ScheduleExpressionTimezone": (False, "str"), "GroupName": (False, "str"), "KmsKeyArn": (False, "str"),
    "Input": (False, "str"), "RoleArn": (False, "str"), "DeadLetterConfig": (False, "dict"),
    "RetryPolicy": (False, "dict"), "OmitName": (False, "!bool"),
}

FUNCTION_EVENTS: dict[str, dict[str, tuple[bool, str]]] = {
    "S3": {"Bucket": (True, "str"), "Events": (True, "!str|list"), "Filter": (False, "dict[str]")},
    "SNS": {"Topic": (True, "str"), "Region": (False, "str"), "FilterPolicy": (False, ANY),
            "FilterPolicyScope": (False, ANY), "SqsSubscription": (False, "dict|bool"),
            "RedrivePolicy": (False, "dict")},
    "Api": {"Path": (True, "str"), "Method": (True, "str"), "RestApiId": (True, "str"), "Stage": (False, "str"),
            "Auth": (False, "dict"), "RequestModel": (False, "dict"), "RequestParameters": (False, "list"),
            "TimeoutInMillis": (False, "int"), "ResponseTransferMode": (False, "str")},
    "HttpApi": {"Path": (False, "str"), "Method": (False, "str"), "ApiId": (False, "str"), "Stage": (False, "str"),
                "Auth": (False, "dict"), "TimeoutInMillis": (False, "int"), "RouteSettings": (False, "dict"),
                "PayloadFormatVersion": (False, "str")},
    "Schedule": {"Schedule": (True, "str"), "RuleName": (False, "str"), "Input": (False, "str"),
                 "Enabled": (False, "bool"), "State": (False, "str"), "Name": (False, "str"),
                 "Description": (False, "str"), "DeadLetterConfig": (False, "dict"), "RetryPolicy": (False, "dict")},
    "ScheduleV2": _SCHEDULE_V2,
    "CloudWatchEvent": _RULE,
    "EventBridgeRule": _RULE,
    "CloudWatchLogs": {"LogGroupName": (True, "str"), "FilterPattern": (True, "str")},
    "IoTRule": {"Sql": (True, "str"), "AwsIotSqlVersion": (False, "str")},
    "AlexaSkill": {"SkillId": (False, "str")},
    "Cognito": {"UserPool": (True, "str"), "Trigger": (True, "!str|list")},
    "Kinesis": {**_PULL, "Stream": (True, ANY), "StartingPosition": (True, ANY)},
    "DynamoDB": {**_PULL, "Stream": (True, ANY), "StartingPosition": (True, ANY)},
    "SQS": {**_PULL, "Queue": (True, ANY)},
    "MSK": {**_PULL, "Stream": (True, ANY), "StartingPosition": (True, ANY)},
    "MQ": {**_PULL, "Broker": (True, ANY), "DynamicPolicyName": (False, "!bool")},
    "SelfManagedKafka": dict(_PULL),
    "DocumentDB": {**_PULL, "Cluster": (True, ANY), "DatabaseName": (True, ANY), "CollectionName": (False, ANY),
                   "FullDocument": (False, ANY)},
}

_SFN_RULE = {
    "EventBusName": (False, "str"), "RuleName": (False, "str"), "Pattern": (False, "dict"), "Input": (False, "str"),
    "InputPath": (False, "str"), "DeadLetterConfig": (False, "dict"), "RetryPolicy": (False, "dict"),
    "State": (False, "str"), "Target": (False, "!dict"), "InputTransformer": (False, "dict"),
}
STATE_MACHINE_EVENTS: dict[str, dict[str, tuple[bool, str]]] = {
    "Api": {"Path": (True, "str"), "Method": (True, "str"), "RestApiId": (True, "str"), "Stage": (False, "str"),
            "Auth": (False, "dict"), "UnescapeMappingTemplate": (False, "!bool")},
    "CloudWatchEvent": _SFN_RULE,
    "EventBridgeRule": _SFN_RULE,
    "Schedule": {"Schedule": (True, "str"), "Input": (False, "str"), "Enabled": (False, "bool"),
                 "State": (False, "str"), "Name": (False, "str"), "Description": (False, "str"),
                 "DeadLetterConfig": (False, "dict"), "RetryPolicy": (False, "dict"), "Target": (False, "!dict"),
                 "RoleArn": (False, "!str")},
    "ScheduleV2": _SCHEDULE_V2,
}

RESOURCES: dict[str, dict[str, tuple[bool, str]]] = {
    "AWS::Serverless::Function": {
        "FunctionName": (False, "str|dict"), "Handler": (False, ANY), "Runtime": (False, ANY),
        "CodeUri": (False, ANY), "ImageUri": (False, ANY), "PackageType": (False, ANY), "InlineCode": (False, ANY),
        "DeadLetterQueue": (False, "dict"), "Description": (False, ANY), "MemorySize": (False, ANY),
        "Timeout": (False, ANY), "VpcConfig": (False, ANY), "Role": (False, "str"),
        "AssumeRolePolicyDocument": (False, "dict"), "Policies": (False, "policies"), "RolePath": (False, ANY),
        "PermissionsBoundary": (False, "str"), "Environment": (False, "dict[dict]"), "Events": (False, "dict[dict]"),
        "Tags": (False, "dict"), "PropagateTags": (False, "bool"), "Tracing": (False, "str|dict"),
        "KmsKeyArn": (False, ANY), "DeploymentPreference": (False, "dict"),
        "ReservedConcurrentExecutions": (False, ANY), "Layers": (False, "list"), "EventInvokeConfig": (False, "dict"),
        "EphemeralStorage": (False, ANY), "AutoPublishAlias": (False, "str"), "AutoPublishCodeSha256": (False, "str"),
        "AutoPublishAliasAllProperties": (False, "!bool"), "VersionDescription": (False, ANY),
        "ProvisionedConcurrencyConfig": (False, ANY), "FileSystemConfigs": (False, ANY), "ImageConfig": (False, ANY),
        "CodeSigningConfigArn": (False, ANY), "Architectures": (False, ANY), "SnapStart": (False, "dict"),
        "FunctionUrlConfig": (False, "dict"), "RuntimeManagementConfig": (False, ANY), "LoggingConfig": (False, ANY),
        "RecursiveLoop": (False, ANY), "SourceKMSKeyArn": (False, ANY), "CapacityProviderConfig": (False, "dict"),
        "FunctionScalingConfig": (False, "dict"), "VersionDeletionPolicy": (False, "enum:Delete,Retain"),
        "PublishToLatestPublished": (False, ANY), "TenancyConfig": (False, ANY), "DurableConfig": (False, "dict"),
    },
    "AWS::Serverless::Api": {
        "__MANAGE_SWAGGER": (False, "bool"), "Name": (False, "str|dict"), "StageName": (True, "str|dict"),
        "Tags": (False, "dict"), "PropagateTags": (False, "bool"), "DefinitionBody": (False, "dict"),
        "DefinitionUri": (False, "str|dict"), "MergeDefinitions": (False, "!bool"),
        "CacheClusterEnabled": (False, "bool"), "CacheClusterSize": (False, "str"), "Variables": (False, "dict"),
        "EndpointConfiguration": (False, "str|dict"), "MethodSettings": (False, "list"),
        "BinaryMediaTypes": (False, "list"), "MinimumCompressionSize": (False, "int"), "Cors": (False, "str|dict"),
        "Auth": (False, "dict"), "GatewayResponses": (False, "dict"), "AccessLogSetting": (False, "dict"),
        "CanarySetting": (False, "dict"), "TracingEnabled": (False, "bool"), "OpenApiVersion": (False, "str"),
        "Models": (False, "dict"), "Domain": (False, "dict"), "FailOnWarnings": (False, "bool"),
        "Description": (False, "str"), "Mode": (False, "str"), "DisableExecuteApiEndpoint": (False, "bool"),
        "ApiKeySourceType": (False, "str"), "AlwaysDeploy": (False, "!bool"), "Policy": (False, "str|dict"),
        "SecurityPolicy": (False, "str"), "EndpointAccessMode": (False, "str"),
    },
    "AWS::Serverless::HttpApi": {
        "__MANAGE_SWAGGER": (False, "bool"), "Name": (False, ANY), "StageName": (False, "str|dict"),
        "Tags": (False, "dict"), "PropagateTags": (False, "bool"), "DefinitionBody": (False, "dict"),
        "DefinitionUri": (False, "str|dict"), "StageVariables": (False, "dict"),
        "CorsConfiguration": (False, "dict|bool"), "AccessLogSettings": (False, "dict"),
        "DefaultRouteSettings": (False, "dict"), "Auth": (False, "dict"), "RouteSettings": (False, "dict"),
        "Domain": (False, "dict"), "FailOnWarnings": (False, "bool"), "Description": (False, "str"),
        "DisableExecuteApiEndpoint": (False, "bool"),
    },
    "AWS::Serverless::WebSocketApi": {
        "ApiKeySelectionExpression": (False, "str"), "AccessLogSettings": (False, "dict"), "Auth": (False, "dict"),
        "DefaultRouteSettings": (False, "dict"), "Description": (False, "str"),
        "DisableExecuteApiEndpoint": (False, "bool"), "Domain": (False, "dict"),
        "DisableSchemaValidation": (False, "bool"), "FailOnWarnings": (False, "bool"), "IpAddressType": (False, "str"),
        "Name": (False, "str"), "PropagateTags": (False, "bool"), "Routes": (True, "dict"),
        "RouteSettings": (False, "dict"), "RouteSelectionExpression": (True, "str"), "StageName": (False, "str|dict"),
        "StageVariables": (False, "dict"), "Tags": (False, "dict"),
    },
    "AWS::Serverless::StateMachine": {
        "Definition": (False, "dict"), "DefinitionUri": (False, "str|dict"), "Logging": (False, "dict"),
        "Role": (False, "str"), "RolePath": (False, ANY), "DefinitionSubstitutions": (False, "dict"),
        "Events": (False, "dict[dict]"), "Name": (False, "str"), "Type": (False, "str"), "Tags": (False, "dict"),
        "PropagateTags": (False, "bool"), "Policies": (False, "policies-sfn"), "Tracing": (False, "dict"),
        "PermissionsBoundary": (False, "str"), "AutoPublishAlias": (False, ANY), "DeploymentPreference": (False, ANY),
        "UseAliasAsEventTarget": (False, "!bool"),
    },
    "AWS::Serverless::SimpleTable": {
        "PointInTimeRecoverySpecification": (False, ANY), "PrimaryKey": (False, "dict[str]"),
        "ProvisionedThroughput": (False, "dict[int|dict]"), "TableName": (False, "str|dict"), "Tags": (False, "dict"),
        "SSESpecification": (False, "dict"),
    },
    "AWS::Serverless::LayerVersion": {
        "LayerName": (False, "str|dict"), "Description": (False, "str"), "PublishLambdaVersion": (False, "bool"),
        "ContentUri": (True, "str|dict"), "CompatibleArchitectures": (False, "list"),
        "CompatibleRuntimes": (False, "list"), "LicenseInfo": (False, "str"), "RetentionPolicy": (False, "str"),
    },
    "AWS::Serverless::Application": {
        "Location": (True, "str|dict"), "TemplateUrl": (False, "str"), "Parameters": (False, "dict"),
        "NotificationARNs": (False, "list"), "Tags": (False, "dict"), "TimeoutInMinutes": (False, "int"),
    },
    "AWS::Serverless::Connector": {
        "Source": (True, "dict"), "Destination": (True, "dict|list[dict]"), "Permissions": (True, "list[str]"),
    },
    "AWS::Serverless::CapacityProvider": {
        "CapacityProviderName": (False, "!str|dict"), "VpcConfig": (True, "!dict"), "OperatorRole": (False, "!str|dict"),
        "Tags": (False, "!dict"), "PropagateTags": (False, "!bool"), "InstanceRequirements": (False, "!dict"),
        "ScalingConfig": (False, "!dict"), "KmsKeyArn": (False, "!str|dict"),
    },
}

#: Globals: the properties each section may set (samtranslator/plugins/globals/globals.py).
GLOBALS: dict[str, list[str]] = {
    "Function": [
        "Handler", "Runtime", "CodeUri", "DeadLetterQueue", "Description", "MemorySize", "Timeout", "VpcConfig",
        "Environment", "Tags", "PropagateTags", "Tracing", "KmsKeyArn", "AutoPublishAlias",
        "AutoPublishAliasAllProperties", "Layers", "DeploymentPreference", "RolePath", "PermissionsBoundary",
        "ReservedConcurrentExecutions", "ProvisionedConcurrencyConfig", "AssumeRolePolicyDocument",
        "EventInvokeConfig", "FileSystemConfigs", "CodeSigningConfigArn", "Architectures", "SnapStart",
        "EphemeralStorage", "FunctionUrlConfig", "RuntimeManagementConfig", "LoggingConfig", "RecursiveLoop",
        "SourceKMSKeyArn", "TenancyConfig", "DurableConfig", "CapacityProviderConfig", "FunctionScalingConfig",
        "PublishToLatestPublished", "VersionDeletionPolicy",
    ],
    "Api": [
        "Auth", "Name", "DefinitionUri", "CacheClusterEnabled", "CacheClusterSize", "MergeDefinitions", "Variables",
        "EndpointConfiguration", "MethodSettings", "BinaryMediaTypes", "MinimumCompressionSize", "Cors",
        "GatewayResponses", "AccessLogSetting", "CanarySetting", "TracingEnabled", "OpenApiVersion", "Domain",
        "AlwaysDeploy", "PropagateTags", "SecurityPolicy", "EndpointAccessMode",
    ],
    "HttpApi": [
        "Auth", "AccessLogSettings", "StageVariables", "Tags", "CorsConfiguration", "DefaultRouteSettings", "Domain",
        "RouteSettings", "FailOnWarnings", "PropagateTags",
    ],
    "SimpleTable": ["SSESpecification"],
    "StateMachine": ["PropagateTags"],
    "LayerVersion": ["PublishLambdaVersion"],
    "CapacityProvider": ["VpcConfig", "OperatorRole", "Tags", "InstanceRequirements", "ScalingConfig", "KmsKeyArn",
                         "PropagateTags"],
    "WebSocketApi": [
        "AccessLogSettings", "ApiKeySelectionExpression", "DefaultRouteSettings", "DisableExecuteApiEndpoint",
        "DisableSchemaValidation", "Domain", "FailOnWarnings", "IpAddressType", "PropagateTags",
        "RouteSelectionExpression", "RouteSettings", "StageVariables", "Tags",
    ],
}


def is_intrinsic(value: object) -> bool:
    """SAM's test: a one-key mapping whose key is Ref, Condition or Fn::* (model/intrinsics.py)."""
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        return isinstance(key, str) and (key in ("Ref", "Condition") or key.startswith("Fn::"))
    return False


def shape_ok(value: object, shape: str) -> bool:
    """Whether `value` has `shape` (see the module docstring); intrinsics are handled by the caller."""
    shape = shape.lstrip("!")
    if shape == ANY:
        return True
    if shape.startswith("enum:"):
        return isinstance(value, str) and value in shape[5:].split(",")
    if shape in ("policies", "policies-sfn"):
        items = value if isinstance(value, list) else None
        if items is None:
            return isinstance(value, str) or (shape == "policies" and isinstance(value, dict))
        return all(isinstance(i, (str, dict)) for i in items)
    if shape == "dict[dict]":
        return isinstance(value, dict) and all(isinstance(v, dict) for v in value.values())
    if shape == "dict[int|dict]":
        return isinstance(value, dict) and all(isinstance(v, (int, dict)) for v in value.values())
    if shape == "dict[str]":
        return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    if shape == "list[str]":
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if shape == "str|list":
        return isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value))
    if shape == "dict|list[dict]":
        return isinstance(value, dict) or (isinstance(value, list) and all(isinstance(v, dict) for v in value))
    kinds = {"str": str, "dict": dict, "list": list, "bool": bool, "int": int}
    return any(isinstance(value, kinds[k]) for k in shape.split("|"))


def checks_intrinsics(shape: str) -> bool:
    return shape.startswith("!")
