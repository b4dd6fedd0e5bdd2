"""Look-ups over an inventory: identifiers → callers and targets, policies by principal.

Built once per run; every query goes through it, so no query loops over all pairs of
principals and resources.
"""

from __future__ import annotations

from collections import ChainMap
from dataclasses import dataclass, field
from functools import cached_property

from permcheck.iam.decide import Evaluator, Organisation
from permcheck.graph.names import FUNCTION, PRINCIPAL, RESOURCE, Names
from permcheck.iam.request import Caller, CallerKind, Target
from permcheck.model.arn import ACCOUNT_ID, account_field, account_of, iam_name, parse_arn, root_arn, session_role_arn
from permcheck.model.entities import Function, Inventory, Resource, Role, User
from permcheck.model.location import InputError, Location
from permcheck.model.policy import (
    POLICY_FIELDS, PRINCIPAL_FIELDS, Effect, Policy, PolicyKind, Principal, PrincipalType, Statement, built,
)
from permcheck.model.values import Unknown, concat, unknowns_of

ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithwebidentity", "sts:assumerolewithsaml", "sts:tagsession")


@dataclass
class Index:
    """An inventory with the look-ups queries need."""

    inventory: Inventory
    by_name: dict[str, str] = field(default_factory=dict)  # role/user name and logical id → ARN
    _callers: dict = field(default_factory=dict, repr=False)
    _targets: dict = field(default_factory=dict, repr=False)
    _holders: dict | None = field(default=None, repr=False)
    _named: dict = field(default_factory=dict, repr=False)  # id(policy) → (policy, named_by(policy))

    def __post_init__(self) -> None:
        if self.by_name:  # given: an index of a changed copy whose principals are the same
            return
        for table in (self.inventory.roles, self.inventory.users):
            for arn, entity in table.items():
                self.by_name.setdefault(f"{entity.account}:{entity.name}", arn)
                if entity.logical_id:
                    self.by_name.setdefault(entity.logical_id, arn)

    @cached_property
    def evaluator(self) -> Evaluator:
        """The evaluation logic for this model, with what it remembers."""
        return Evaluator(self.organisation)

    @property
    def organisation(self) -> Organisation:
        inv = self.inventory
        return Organisation(tuple(inv.scps), tuple(inv.rcps), frozenset(inv.accounts), inv.management_account)

    # -- principals -------------------------------------------------------------------
    def identity_policies(self, entity: Role | User) -> tuple[Policy, ...]:
        """A role's or user's identity policies, with a user's groups' policies."""
        groups = entity.groups if isinstance(entity, User) else ()  # (a Role has none: pydantic's getattr fallback is slow)
        if not groups:
            return tuple(entity.policies)
        policies = list(entity.policies)
        for group_arn in groups:
            group = self.inventory.groups.get(group_arn)
            if group is not None:
                policies += group.policies
        return tuple(policies)

    def caller_for_entity(self, entity: Role | User, session: str | None = None) -> Caller:
        key = (str(entity.arn), session)
        if key not in self._callers:
            kind = CallerKind.ROLE if isinstance(entity, Role) else CallerKind.USER
            self._callers[key] = Caller(kind=kind, arn=str(entity.arn), account=entity.account, session_arn=session,
                                        identity=self.identity_policies(entity), boundary=entity.boundary,
                                        name=str(entity.name))
        return self._callers[key]

    def changed(self, inventory: Inventory, replaced: str) -> "Index":
        """The index of a copy of this inventory in which one function, role or resource (`replaced`,
        its key) is replaced by a changed copy with the same ARN, name and logical ID (a fix being
        proven, rules/fixes.py). What names things is the same, so it is shared rather than rebuilt
        from every entity: the principals' names, the logical IDs (`Names` holds keys, not objects),
        and functions by name, seen through the one replaced (`ChainMap`: nothing is copied).

        The evaluator is shared too, with what it remembers: an answer is remembered by the content
        (or the identity) of the statements that can apply, the caller and the target's class, never
        by the model it was asked in (`decide._signature`, `caches.py`), so a changed statement is a
        new key and every statement the change leaves alone is decided once for both models
        (tests/property/test_shared_shapes.py). The organisation layer is the same objects. Targets
        and callers, which hold the policies, are made anew."""
        out = Index(inventory, by_name=self.by_name)
        out.__dict__["names"] = self.names
        out.__dict__["evaluator"] = self.evaluator
        by_name = self._functions_by_name
        new = inventory.functions.get(replaced)
        if new is not None:
            kept = [new if str(f.arn) == str(new.arn) else f for f in by_name.get(str(new.name), ())]
            by_name = ChainMap({str(new.name): kept}, by_name)
        out.__dict__["_functions_by_name"] = by_name
        return out

    @cached_property
    def names(self) -> Names:
        """Logical IDs and `FILE#LogicalId` of the inputs (`graph.names`)."""
        return Names(self.inventory)

    def caller(self, identifier: str) -> Caller:
        """A PRINCIPAL of the contract → the caller it stands for."""
        text = identifier.strip()
        if text == "*":
            return Caller(kind=CallerKind.ANYONE, arn="*")
        if ACCOUNT_ID.match(text):
            return self._root(text)
        if text in self.inventory.roles:
            return self.caller_for_entity(self.inventory.roles[text])
        if text in self.inventory.users:
            return self.caller_for_entity(self.inventory.users[text])
        named = self.names.find(text, PRINCIPAL)
        if named is not None and named.kind != "function":
            table = self.inventory.roles if named.kind == "role" else self.inventory.users
            return self.caller_for_entity(table[named.key])
        function = self.function(text, required=False)
        if function is not None:
            if function.role is None or str(function.role) not in self.inventory.roles:
                raise InputError(None, f"the execution role of function {identifier} is not in the inputs")
            return self.caller_for_entity(self.inventory.roles[str(function.role)])
        if text in self.by_name:
            arn = self.by_name[text]
            return self.caller_for_entity(self.inventory.roles.get(arn) or self.inventory.users[arn])
        role_arn = session_role_arn(text)
        if role_arn is not None:
            caller = self._iam(role_arn)
            return Caller(kind=CallerKind.ROLE, arn=caller.arn, account=caller.account, session_arn=text,
                          identity=caller.identity, boundary=caller.boundary, name=caller.name)
        if text.startswith("arn:"):
            return self._iam(text)
        if "." in text and "#" not in text:  # a service principal
            return Caller(kind=CallerKind.SERVICE, arn=text)
        raise self.names.unknown("principal", identifier, PRINCIPAL,
                                 " (a logical ID, FILE#LogicalId, role or user ARN, account ID, service or *)")

    def caller_if_any(self, identifier: str) -> Caller | None:
        """`caller`, or None for a principal that names no caller: an IAM group, policy or identity
        provider (AWS rejects them as principals, or they federate others: `Federated` callers are
        made apart), or a principal the inputs leave unresolved. Anything else that is no principal
        is an error, as in `caller`."""
        if "${?" in identifier:
            return None
        arn = parse_arn(identifier)
        if arn is not None and arn.service == "iam" and arn.resource != "root" \
                and not arn.resource.startswith(("role/", "user/")):
            return None
        return self.caller(identifier)

    def _root(self, account: str) -> Caller:
        known = account in self.inventory.accounts
        return Caller(kind=CallerKind.ROOT, arn=root_arn(account, self.inventory.partition), account=account,
                      identity=() if known else None)

    def _iam(self, arn: str) -> Caller:
        named = iam_name(arn)
        account = account_of(arn)
        if named is None or account is None:
            if arn.endswith(":root") and account:
                return self._root(account)
            raise InputError(None, f"unknown principal {arn!r}: not an IAM role, user or account ARN")
        kind, name = named
        table = self.inventory.roles if kind == "role" else self.inventory.users
        key = arn if arn in table else self.by_name.get(f"{account}:{name}")
        if key is not None and key in table:
            return self.caller_for_entity(table[key])
        caller_kind = {"role": CallerKind.ROLE, "user": CallerKind.USER}.get(kind)
        if caller_kind is None:
            raise InputError(None, f"principal {arn!r} is an IAM {kind}, which cannot make requests")
        return Caller(kind=caller_kind, arn=arn, account=account, identity=None, name=name)

    # -- functions and targets --------------------------------------------------------
    @cached_property
    def _functions_by_name(self) -> dict[str, list[Function]]:
        out: dict[str, list[Function]] = {}
        for function in self.inventory.functions.values():
            out.setdefault(str(function.name), []).append(function)
        return out

    def function(self, identifier: str, required: bool = True) -> Function | None:
        """A FUNCTION of the contract: logical ID (or `FILE#LogicalId`), name or ARN (qualifier
        ignored)."""
        functions = self.inventory.functions
        if identifier in functions:
            return functions[identifier]
        named = self.names.find(identifier, FUNCTION)
        if named is not None:
            return functions[named.key]
        if identifier.startswith("arn:"):
            function = self._function_at(identifier)
            if function is not None:
                return function
        matches = self._functions_by_name.get(identifier, [])
        if len(matches) == 1:
            return matches[0]
        if matches:
            listed = ", ".join(sorted(str(f.arn) for f in matches))
            raise InputError(None, f"more than one function is named {identifier!r}: {listed} (name one by its ARN)")
        if required:
            raise self.names.unknown("function", identifier, FUNCTION)
        return None

    def resource(self, identifier: str) -> object:
        """A RESOURCE of `can`: an ARN, `*`, or the logical ID (`FILE#LogicalId`, Terraform
        address) of a resource in the inputs, which stands for its ARN (unknown parts kept)."""
        text = identifier.strip()
        if text == "*" or text.startswith("arn:"):
            return self.value_of(text)
        named = self.names.find(text, RESOURCE)
        if named is not None:
            tables = {"function": self.inventory.functions, "role": self.inventory.roles, "user": self.inventory.users,
                      "group": self.inventory.groups, "resource": self.inventory.resources}
            return tables[named.kind][named.key].arn
        function = self.function(text, required=False)  # a function's name, as FUNCTION takes it
        if function is not None:
            return function.arn
        held = [r for r in self.inventory.resources.values() if text in r.names]  # a bucket or queue name
        if len(held) == 1:
            return held[0].arn
        raise self.names.unknown("resource", identifier, RESOURCE,
                                 " (a RESOURCE is an ARN, *, or a logical ID or Terraform address in the inputs)")

    def target(self, arn: object, action: str) -> Target:
        """The resource side of a request on `arn`, with AWS's defaults for what the inputs lack."""
        key = (str(arn), action.lower())
        if key not in self._targets:
            self._targets[key] = self._target(arn, action)
        return self._targets[key]

    def _target(self, arn: object, action: str) -> Target:
        inv = self.inventory
        arn = self.value_of(arn)
        text = str(arn)
        account = self._account(arn)
        if action.lower() in ASSUME_ACTIONS and text in inv.roles:
            role = inv.roles[text]
            return Target(arn=arn, account=role.account, policy=role.trust, policy_required=True)
        function = self._function_at(text)
        if function is not None:
            return Target(arn=arn, account=function.account, policy=function.policy,
                          context=self._url_context(function, action))
        resource = self._resource_at(text)
        if resource is not None:
            kms = resource.type == "AWS::KMS::Key"
            policy = resource.policy if resource.policy or not kms else default_key_policy(arn, account)
            return Target(arn=arn, account=resource.account or account, policy=policy, policy_required=kms)
        parsed = parse_arn(text)
        if parsed is not None and parsed.service == "kms" and parsed.resource.startswith("key/"):
            return Target(arn=arn, account=account, policy=default_key_policy(arn, account), policy_required=True,
                          note=f"{arn} is not in the inputs: AWS's default key policy assumed", aws_managed_key=None)
        note = None if text == "*" else f"{text} is not in the inputs: no resource policy assumed"
        return Target(arn=arn, account=account, note=note)

    def _account(self, arn: object) -> str | None:
        """The account a resource belongs to by its ARN (contract: "belongs to the account in its
        ARN, to the deploying account when its ARN names none", as with S3); None for `*` and a
        wildcard account field: actions that take no resource are requested on `*` in the
        caller's account, and `arn:aws:dynamodb:*:*:table/x` covers the caller's account too.
        An unresolved account is decided apart (`open_account`)."""
        field = account_field(arn)
        if field is None:
            return None if str(arn) == "*" else self.inventory.default_account
        if isinstance(field, str):
            if ACCOUNT_ID.match(field):
                return field
            return None if "*" in field or "?" in field else self.inventory.default_account
        return self.inventory.default_account

    @staticmethod
    def open_account(target: Target) -> tuple[Unknown, ...]:
        """The unknowns the account of a target's ARN depends on (`!Sub …:${AccountParam}:…`
        without a value): the request is then decided for each account it may be."""
        if isinstance(target.arn, str):
            return ()
        field = account_field(target.arn)
        return unknowns_of(field) if field is not None else ()

    def value_of(self, arn: object) -> object:
        """The value the inputs hold for a resource written as text: an ARN with unknown parts
        prints as `…${?generated name of Fn in t.yaml}`, and that text, qualified or not, stands
        for the symbolic ARN itself (so every command asks about the same resource)."""
        if not isinstance(arn, str) or "${?" not in arn:
            return arn
        inv = self.inventory
        for table in (inv.functions, inv.roles, inv.users, inv.groups, inv.resources):
            if arn in table:
                return table[arn].arn
        head, _, qualifier = arn.rpartition(":")
        if head in inv.functions:
            return concat([inv.functions[head].arn, f":{qualifier}"])
        bucket = self._resource_at(arn)
        if bucket is not None:
            return concat([bucket.arn, arn[len(str(bucket.arn)):]])
        return self._written.get(arn, arn)

    @cached_property
    def _written(self) -> dict[str, object]:
        """Resource patterns with unknown parts as the policies write them, by their text: built
        once, the first time such a text is asked about (`can` with an ARN as printed)."""
        inv, out = self.inventory, {}
        holders = (*inv.roles.values(), *inv.users.values(), *inv.groups.values(), *inv.functions.values(),
                   *inv.resources.values())
        policies = [p for h in holders for p in (*getattr(h, "policies", ()), getattr(h, "trust", None),
                                                 getattr(h, "boundary", None), getattr(h, "policy", None)) if p]
        for policy in (*policies, *inv.loose_policies):
            for statement in policy.statements:
                out.update((str(r), r) for r in statement.resources or () if not isinstance(r, str))
        return out

    def _resource_at(self, text: str) -> Resource | None:
        """The resource an ARN names; for an S3 object, its bucket (whose policy governs it).
        The bucket is the longest known prefix before a `/`, not the text before the first `/`:
        an unresolved bucket name prints with its description, which may hold one."""
        resources = self.inventory.resources
        found = resources.get(text)
        if found is None and text.startswith("arn:") and ":s3:::" in text:
            ends = [i for i, c in enumerate(text) if c == "/"]
            found = next((resources[text[:i]] for i in reversed(ends) if text[:i] in resources), None)
        return found

    def function_at(self, arn: object) -> Function | None:
        """The function of the inputs an ARN value names (qualified or not), or None."""
        return self._function_at(str(self.value_of(arn)))

    def _function_at(self, text: str) -> Function | None:
        """The function an ARN (or its text) names, with or without a qualifier."""
        functions = self.inventory.functions
        function = functions.get(text)
        if function is None and ":function:" in text:
            function = functions.get(text.rpartition(":")[0])
        return function

    def named_by(self, policy: Policy) -> tuple[set[str], set[str], bool]:
        """`principals.named_principals(policy)`, once per policy."""
        from permcheck.iam.principals import named_principals
        found = self._named.get(id(policy))
        if found is None or found[0] is not policy:
            found = self._named[id(policy)] = (policy, named_principals(policy))
        return found[1]

    def policy_holders(self) -> dict[str, list[tuple[object, Policy]]]:
        """(ARN, policy) of the functions and resources with a resource policy, by the service in
        their ARN."""
        if self._holders is None:
            found: dict[str, list] = {}
            for entity in (*self.inventory.functions.values(), *self.inventory.resources.values()):
                if entity.policy is not None:
                    service = str(entity.arn).split(":")[2] if str(entity.arn).count(":") >= 2 else ""
                    found.setdefault(service, []).append((entity.arn, entity.policy))
            self._holders = found
        return self._holders

    @staticmethod
    def _url_context(function: Function, action: str) -> dict:
        """`lambda:FunctionUrlAuthType` is known for InvokeFunctionUrl from the URL config."""
        if action.lower() != "lambda:invokefunctionurl" or not function.urls:
            return {}
        types = {u.auth_type for u in function.urls}
        if len(types) == 1 and isinstance(next(iter(types)), str):
            return {"lambda:functionurlauthtype": (str(types.pop()),)}
        return {}


def default_key_policy(arn: str, account: str) -> Policy:
    """The key policy AWS gives a key created without one: the account's IAM policies decide.

    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
    """
    location = Location(f"default key policy of {arn}")
    root = built(Principal, PRINCIPAL_FIELDS, type=PrincipalType.AWS, value=root_arn(account))
    statement = built(Statement, {"effect", "sid", "actions", "resources", "principals", "policy", "location"},
                      effect=Effect.ALLOW, sid="Enable IAM User Permissions", actions=("kms:*",), resources=("*",),
                      principals=(root,), policy="default key policy", location=location)
    return built(Policy, POLICY_FIELDS, name="default key policy",
                 kind=PolicyKind.RESOURCE, location=location, statements=(statement,))
