"""The checks SAM makes of an API's configuration before it writes the API (samtranslator 1.110.0
model/api/api_generator.py, http_api_generator.py, swagger/swagger.py, open_api/open_api.py).

None of this configuration grants anything, but a template SAM rejects is one nobody can deploy,
so permcheck rejects it too (at the API's line, in SAM's words). Only the checks SAM makes on the
structure of the API's own properties and of its inline definition's `paths` are repeated.
"""

from __future__ import annotations

import re
from typing import Any

from permcheck.load.sam.core import Ctx
from permcheck.load.sam.schema import is_intrinsic

CORS_KEYS = ("AllowMethods", "AllowHeaders", "AllowOrigin", "MaxAge", "AllowCredentials")
HTTP_CORS_KEYS = ("AllowOrigins", "AllowHeaders", "AllowMethods", "ExposeHeaders", "MaxAge", "AllowCredentials")
AUTH_KEYS = ("Authorizers", "DefaultAuthorizer", "InvokeRole", "AddDefaultAuthorizerToCorsPreflight",
             "AddApiKeyRequiredToCorsPreflight", "ApiKeyRequired", "ResourcePolicy", "UsagePlan")
USAGE_PLAN_KEYS = ("CreateUsagePlan", "Description", "Quota", "Tags", "Throttle", "UsagePlanName")
RESPONSE_KEYS = ("ResponseParameters", "ResponseTemplates", "StatusCode")
RESPONSE_PARAMETER_KEYS = ("Headers", "Paths", "QueryStrings")
MTLS_KEYS = ["TruststoreUri", "TruststoreVersion"]
OPENAPI_3 = re.compile(r"\A3(\.\d)(\.\d)?$")


def is_swagger(body: Any) -> bool:
    """SwaggerEditor.is_valid / OpenApiEditor.is_valid (version 2 `swagger`, or `openapi` 3.x).

    A body that is an `AWS::Include` of a file that is not local is taken as valid: CloudFormation
    inlines it before SAM runs (load/includes.py), and what it holds is unknown, not wrong."""
    from permcheck.load.includes import is_open_include
    if is_open_include(body):
        return True
    if not body or not isinstance(body, dict) or not isinstance(body.get("paths"), dict):
        return False
    if body.get("swagger"):
        return True
    return bool(body.get("openapi")) and OPENAPI_3.match(str(body["openapi"])) is not None


def check_rest_api(ctx: Ctx, api_id: str, props: dict, at: int | None, managed: bool, has_events: bool) -> None:
    fail = lambda message: ctx.fail(at, api_id, message)  # noqa: E731
    body, uri = props.get("DefinitionBody"), props.get("DefinitionUri")
    if uri and props.get("MergeDefinitions"):
        raise fail("Cannot set 'MergeDefinitions' to True when using `DefinitionUri`.")
    version = props.get("OpenApiVersion")
    if version and not re.match(r"\A[2-3](\.\d)(\.\d)?$", str(version)):
        raise fail("The OpenApiVersion value must be of the format '3.0.0'.")
    _domain(ctx, api_id, props.get("Domain"), at, rest=True)
    endpoint = props.get("EndpointConfiguration")
    if isinstance(endpoint, dict) and endpoint.get("Type") and "VPCEndpointIds" in endpoint \
            and "VpcEndpointIds" in endpoint:
        raise fail("'VPCEndpointIds' and 'VpcEndpointIds' cannot be used together in EndpointConfiguration.")
    cors = props.get("Cors")
    if cors:
        if not body:
            raise fail("Cors works only with inline Swagger specified in 'DefinitionBody' property.")
        origin, credentials = "'*'", False
        if isinstance(cors, dict) and not is_intrinsic(cors):
            for key in cors:
                if key not in CORS_KEYS:
                    raise fail(f"Invalid key '{key}' for 'Cors' property.")
            origin, credentials = cors.get("AllowOrigin", "'*'"), cors.get("AllowCredentials", False)
        elif not isinstance(cors, str) and not is_intrinsic(cors):
            raise fail("Invalid value for 'Cors' property")
        if not is_swagger(body):
            raise fail("Unable to add Cors configuration because 'DefinitionBody' does not contain a valid Swagger "
                       "definition.")
        if credentials is True and origin == "'*'":
            raise fail("Unable to add Cors configuration because 'AllowCredentials' can not be true when "
                       "'AllowOrigin' is \"'*'\" or not set")
        if isinstance(origin, str) and not origin:
            raise fail("Structure of the SAM template is invalid. Invalid input. Value for AllowedOrigins is required")
    auth = props.get("Auth")
    if auth:
        if not body:
            raise fail("Auth works only with inline Swagger specified in 'DefinitionBody' property.")
        if isinstance(auth, dict):
            if not all(key in AUTH_KEYS for key in auth):
                raise fail("Invalid value for 'Auth' property")
            if not is_swagger(body):
                raise fail("Unable to add Auth configuration because 'DefinitionBody' does not contain a valid "
                           "Swagger definition.")
            _rest_auth(ctx, api_id, auth, at)
    responses = props.get("GatewayResponses")
    if responses:
        if not body:
            raise fail("GatewayResponses works only with inline Swagger specified in 'DefinitionBody' property.")
        for name, response in responses.items() if isinstance(responses, dict) else []:
            if is_intrinsic(response):
                raise fail("Unable to set GatewayResponses attribute because intrinsic functions are not supported "
                           "for this field.")
            if not isinstance(response, dict):
                raise fail(f"Invalid property type '{type(response).__name__}' for GatewayResponses. Expected an "
                           "object of type 'GatewayResponse'.")
            for key in response:
                if key not in RESPONSE_KEYS:
                    raise fail(f"Invalid property '{key}' in 'GatewayResponses' property '{name}'.")
        if not is_swagger(body):
            raise fail("Unable to add Auth configuration because 'DefinitionBody' does not contain a valid Swagger "
                       "definition.")
        for name, response in responses.items():
            parameters = response.get("ResponseParameters")
            if parameters:
                if not isinstance(parameters, dict):
                    raise fail(f"Property 'GatewayResponses.{name}.ResponseParameters' should be a map.")
                for key in parameters:
                    if key not in RESPONSE_PARAMETER_KEYS:
                        raise fail(f"Invalid gateway response parameter '{key}'")
            status = response.get("StatusCode")
            if status is not None and not is_intrinsic(status) and not str(status).isdigit():
                raise fail("Property 'StatusCode' must be numeric")
    models = props.get("Models")
    if models:
        if not body:
            raise fail("Models works only with inline Swagger specified in 'DefinitionBody' property.")
        if not isinstance(models, dict):
            raise fail("Invalid value for 'Models' property")
    if props.get("DisableExecuteApiEndpoint") is not None:
        if not body:
            raise fail("DisableExecuteApiEndpoint works only within 'DefinitionBody' property.")
        if not is_swagger(body):
            raise ctx.fail(at, None, "Structure of the SAM template is invalid. Invalid Swagger document or the "
                                     "Swagger document is not explicitly defined in 'DefinitionBody'.")
    plan = auth.get("UsagePlan") if isinstance(auth, dict) else None
    if plan is not None:
        if not isinstance(plan, dict):
            raise fail("'UsagePlan' must be a dictionary")
        if not all(key in USAGE_PLAN_KEYS for key in plan):
            raise fail("Invalid property for 'UsagePlan'")
    edited = managed or has_events or cors or auth or responses or models or \
        props.get("BinaryMediaTypes") or props.get("DisableExecuteApiEndpoint") is not None or version
    if edited and is_swagger(body):
        check_paths(ctx, body, at)


def _rest_auth(ctx: Ctx, api_id: str, auth: dict, at: int | None) -> None:
    authorizers = auth.get("Authorizers")
    if isinstance(authorizers, dict):
        for name, authorizer in authorizers.items():
            if not isinstance(authorizer, dict):
                continue
            identity = authorizer.get("Identity")
            if identity is not None:
                if not isinstance(identity, dict):
                    if authorizer.get("UserPoolArn") is not None or authorizer.get("FunctionArn") is not None:
                        raise ctx.fail(at, api_id, f"Property 'Auth.Authorizers.{name}.Identity' should be a map.")
                else:
                    for key in ("Headers", "QueryStrings", "StageVariables", "Context"):
                        values = identity.get(key)
                        if values is not None and isinstance(values, list):
                            for index, item in enumerate(values):
                                if not isinstance(item, str):
                                    raise ctx.fail(at, api_id, f"Property 'Authorizers.{name}.Identity.{key}"
                                                               f"[{index}]' should be a string.")
            scopes = authorizer.get("AuthorizationScopes")
            if scopes is not None and not isinstance(scopes, list):
                raise ctx.fail(at, api_id, f"Property 'Authorizers.{name}.AuthorizationScopes' should be a list.")
    policy = auth.get("ResourcePolicy")
    if policy is not None:
        if not isinstance(policy, dict):
            raise ctx.fail(at, None, "Structure of the SAM template is invalid. ResourcePolicy must be a map "
                                     "(ResourcePolicyStatement).")
        for key, hint in (("SourceVpcBlacklist", "IntrinsicVpcBlacklist"), ("SourceVpcWhitelist",
                                                                             "IntrinsicVpcWhitelist")):
            values = policy.get(key)
            if values is not None and (not isinstance(values, list) or
                                       not all(isinstance(v, str) or is_intrinsic(v) for v in values)):
                raise ctx.fail(at, None, f"Structure of the SAM template is invalid. {key} must be a list of strings. "
                                         f"Use {hint} instead for values that use Intrinsic Functions")


def check_paths(ctx: Ctx, body: dict, at: int | None) -> None:
    """SwaggerEditor/OpenApiEditor: every path item, and every method of it, must be a mapping."""
    for path, item in body.get("paths", {}).items():
        contents = [item]
        if isinstance(item, dict) and "Fn::If" in item:
            args = item["Fn::If"]
            if not isinstance(args, list):
                raise ctx.fail(at, None, "Structure of the SAM template is invalid. Value of Fn::If must be a list.")
            contents = [c for c in args[1:] if not (isinstance(c, dict) and c.get("Ref") == "AWS::NoValue")]
        for content in contents:
            if not isinstance(content, dict):
                raise ctx.fail(at, None, f"Structure of the SAM template is invalid. Value of '{path}' path must be "
                                         "a dictionary according to Swagger spec.")
    definitions = body.get("securityDefinitions")
    if definitions is not None and not isinstance(definitions, dict):
        raise ctx.fail(at, None, "Structure of the SAM template is invalid. securityDefinitions must be a dictionary.")


def check_http_api(ctx: Ctx, api_id: str, props: dict, at: int | None) -> None:
    fail = lambda message: ctx.fail(at, api_id, message)  # noqa: E731
    body, uri = props.get("DefinitionBody"), props.get("DefinitionUri")
    cors = props.get("CorsConfiguration")
    if cors:
        if uri and not body:
            raise fail("Cors works only with inline OpenApi specified in 'DefinitionBody' property.")
        if isinstance(cors, dict) and not is_intrinsic(cors):
            for key in cors:
                if key not in HTTP_CORS_KEYS:
                    raise fail(f"Invalid key '{key}' for 'Cors' property.")
    tags = props.get("Tags")
    if tags:
        if not body:
            raise fail("Tags works only with inline OpenApi specified in the 'DefinitionBody' property.")
        if not is_swagger(body):
            raise fail("Unable to add `Tags` because 'DefinitionBody' does not contain a valid OpenApi definition.")
    if props.get("DisableExecuteApiEndpoint") is not None and not body:
        raise fail("DisableExecuteApiEndpoint works only within 'DefinitionBody' property.")
    _domain(ctx, api_id, props.get("Domain"), at, rest=False)
    auth = props.get("Auth")
    if isinstance(auth, dict) and isinstance(auth.get("Authorizers"), dict):
        for name, authorizer in auth["Authorizers"].items():
            if isinstance(authorizer, dict) and authorizer.get("JwtConfiguration") is not None and \
                    not isinstance(authorizer["JwtConfiguration"], dict):
                raise fail("Property 'JwtConfiguration' should be a map.")
    if isinstance(body, dict) and body and not is_intrinsic(body):
        if body.get("openapi") is None or not isinstance(body.get("paths"), dict) or \
                not OPENAPI_3.match(str(body.get("openapi"))):
            raise fail("Structure of the SAM template is invalid. Invalid OpenApi document. Invalid values or "
                       "missing keys for 'openapi' or 'paths' in 'DefinitionBody'.")
        body_tags = body.get("tags")
        if body_tags is not None and not isinstance(body_tags, list):
            raise ctx.fail(at, None, f"Structure of the SAM template is invalid. Tags in OpenApi DefinitionBody "
                                     f"needs to be a list. {body_tags} is a dict not a list.")
        for path, item in body["paths"].items():
            if not isinstance(item, dict):
                raise ctx.fail(at, None, f"Structure of the SAM template is invalid. Value of '{path}' path must be "
                                         "a dictionary according to Swagger spec.")


def _domain(ctx: Ctx, api_id: str, domain: Any, at: int | None, rest: bool) -> None:
    if not domain or is_intrinsic(domain):
        return
    fail = lambda message: ctx.fail(at, api_id, message)  # noqa: E731
    if not isinstance(domain, dict):
        raise fail("Property 'Domain' should be a map.")
    if domain.get("DomainName") is None:
        raise fail("Property 'Domain.DomainName' is required.")
    if domain.get("CertificateArn") is None:
        raise fail("Property 'Domain.CertificateArn' is required.")
    endpoint = domain.get("EndpointConfiguration", "REGIONAL" if not rest else "REGIONAL")
    if rest and endpoint not in ("EDGE", "REGIONAL", "PRIVATE") and not is_intrinsic(endpoint):
        raise fail("EndpointConfiguration for Custom Domains must be one of ['EDGE', 'REGIONAL', 'PRIVATE'].")
    mtls = domain.get("MutualTlsAuthentication")
    if mtls is not None:
        if rest:
            if not isinstance(mtls, dict):
                raise fail("Property 'Domain.MutualTlsAuthentication' should be a map.")
            if not set(mtls).issubset(MTLS_KEYS):
                raise fail(f"Available Domain.MutualTlsAuthentication fields are {MTLS_KEYS}.")
        else:
            if not isinstance(mtls, dict) or not mtls:
                raise fail(f"MutualTlsAuthentication must be a map with at least one of the following fields "
                           f"{MTLS_KEYS}.")
            if not set(mtls).issubset(MTLS_KEYS):
                raise fail(f"Available MutualTlsAuthentication fields are {MTLS_KEYS}.")
    if rest and domain.get("AccessAssociation") is not None and not isinstance(domain["AccessAssociation"], dict):
        raise fail("Property 'Domain.AccessAssociation' should be a map.")
    base = domain.get("BasePath")
    if base is not None and not rest and not isinstance(base, (str, list)):
        raise fail("Basepath must be a string.")
    if not rest and isinstance(base, list) and not all(isinstance(b, str) for b in base):
        raise fail("Basepath must be a string.")
    route53 = domain.get("Route53")
    if route53 is not None:
        if not isinstance(route53, dict):
            raise fail("Property 'Domain.Route53' should be a map.")
        if route53.get("HostedZoneId") is None and route53.get("HostedZoneName") is None:
            raise fail("HostedZoneId or HostedZoneName is required to enable Route53 support on Custom Domains.")
        separate = route53.get("SeparateRecordSetGroup")
        if separate is not None and not isinstance(separate, bool):
            raise fail("Property 'Domain.Route53.SeparateRecordSetGroup' should be a boolean.")
