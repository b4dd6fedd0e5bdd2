"""A Terraform plan (`terraform show -json PLANFILE`), read for what it will deploy.

The format (https://developer.hashicorp.com/terraform/internals/json-format):
- `planned_values.root_module` holds `resources[]` and `child_modules[]` (recursively), each
  resource with its absolute `address`, `mode` (managed/data), `type`, `name` and `values`;
  values not known until apply are omitted or null there.
- `resource_changes[].change.after_unknown` has the shape of `after`, with `true` at every
  leaf that is known only after apply: that is what tells "unknown" from "unset".
- `configuration.root_module` holds `resources[].expressions.ATTR.references`
  (module-relative addresses), `module_calls.NAME.{expressions, module}` and
  `outputs.NAME.expression`: what an unknown value is made from.

Every resource comes out as a `TfResource` whose values hold `Unknown("ADDRESS.ATTR (known
after apply)")` wherever the plan leaves a value to apply time; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from permcheck.load.nodes import LineDict, LineList, line_of
from permcheck.model.location import InputError, Location
from permcheck.model.values import Unknown

MAX_HOPS = 16  # module outputs / input variables followed for one reference
_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|[^\]]*)\]')
_NOT_RESOURCES = {"var", "local", "module", "data", "path", "count", "each", "self", "terraform"}


@dataclass
class TfResource:
    """One resource instance of the plan, its values merged with what is unknown."""

    address: str
    mode: str  # "managed" or "data"
    type: str
    module: str  # module instance address ("module.a[0].module.b"), "" for the root module
    values: LineDict
    line: int | None
    config: dict | None = None  # configuration expressions; None when the plan has none for it
    region: str = "us-east-1"

    def configured(self, attr: str) -> bool:
        """Whether the configuration sets `attr` (unknown configuration: assume it does)."""
        return self.config is None or attr in self.config


@dataclass
class Plan:
    file: str
    document: LineDict
    default_region: str
    resources: dict[str, TfResource] = field(default_factory=dict)
    modules: dict[str, dict] = field(default_factory=dict)  # config module path ("module.a") → module
    config_resources: dict[str, dict] = field(default_factory=dict)  # config address → resource
    providers: dict[str, dict] = field(default_factory=dict)

    # -- reading --------------------------------------------------------------------------
    @classmethod
    def read(cls, file: str, document: LineDict, default_region: str) -> "Plan":
        plan = cls(file, document, default_region)
        plan._check_version()
        plan._configuration()
        changes = plan._changes()
        planned = document.get("planned_values")
        if planned is None:
            raise plan.error(document, "Terraform plan has no planned_values: give the output of "
                                       "`terraform show -json PLANFILE` for a saved plan")
        plan._expect(planned, dict, "planned_values must be an object")
        root = planned.get("root_module", LineDict(line=line_of(planned)))
        plan._module(plan._expect(root, dict, "planned_values.root_module must be an object"), "", changes)
        for address, (entry, change) in changes.items():  # data sources read at apply time
            actions = change.get("actions")
            if address not in plan.resources and entry.get("mode") == "data" \
                    and isinstance(actions, list) and "read" in actions:
                module = entry.get("module_address")
                plan._add(entry, change.get("after"), change, module if isinstance(module, str) else "")
        prior = _get(document, "prior_state", "values", "root_module")
        if isinstance(prior, dict):  # data sources read while planning: known, and only here
            plan._module(prior, "", {}, only_data=True)
        return plan

    def error(self, node: object, message: str) -> InputError:
        return InputError(Location(self.file, line_of(node, line_of(self.document, 1))), message)

    def _expect(self, node: object, kind: type, message: str):
        if not isinstance(node, kind):
            raise self.error(node, message)
        return node

    def _check_version(self) -> None:
        version = self.document.get("format_version")
        where = Location(self.file, self.document.line_of("format_version"))
        if not isinstance(version, str) or version.split(".")[0] != "1":
            # "Reject any input which reports an unsupported major version" (the format's rule)
            raise InputError(where, f"Terraform JSON format_version {version!r} is not supported (only 1.x)")

    def _changes(self) -> dict[str, tuple[dict, dict]]:
        raw = self.document.get("resource_changes", [])
        out = {}
        for entry in self._expect(raw, list, "resource_changes must be a list"):
            self._expect(entry, dict, "each resource_changes entry must be an object")
            change = entry.get("change")
            if not isinstance(entry.get("address"), str) or not isinstance(change, dict):
                raise self.error(entry, "resource_changes entry without address or change")
            if entry.get("deposed") is None:
                out[entry["address"]] = (entry, change)
        return out

    def _module(self, module: dict, path: str, changes: dict, only_data: bool = False) -> None:
        resources = module.get("resources", [])
        for resource in self._expect(resources, list, "resources must be a list"):
            self._expect(resource, dict, "each resource must be an object")
            address = resource.get("address")
            if not isinstance(address, str) or not isinstance(resource.get("type"), str):
                raise self.error(resource, "resource without address or type")
            if only_data and (resource.get("mode") != "data" or address in self.resources):
                continue
            if address not in changes and resource.get("mode") != "data" and not only_data:
                # only resource_changes' after_unknown tells "known after apply" from "unset"
                raise self.error(resource, f"{address} has no entry in resource_changes: values known only "
                                           "after apply cannot be told from unset ones")
            _, change = changes.get(address, (None, {}))
            self._add(resource, resource.get("values"), change, path)
        children = module.get("child_modules", [])
        for child in self._expect(children, list, "child_modules must be a list"):
            self._expect(child, dict, "each child module must be an object")
            if not isinstance(child.get("address"), str):
                raise self.error(child, "child module without address")
            self._module(child, child["address"], changes, only_data)

    def _add(self, resource: dict, values: object, change: dict, module: str) -> None:
        address, rtype = resource.get("address"), resource.get("type")
        if not isinstance(address, str) or not isinstance(rtype, str):
            raise self.error(resource, "resource without address or type")
        if values is None:
            values = LineDict(line=line_of(resource))
        self._expect(values, dict, f"{address}: values must be an object")
        merged = with_unknowns(values, change.get("after_unknown"), address)
        if not isinstance(merged, dict):
            raise self.error(resource, f"{address}: after_unknown must be an object")
        config = self.config_resources.get(_strip(address))
        expressions = config.get("expressions") if isinstance(config, dict) else None
        self.resources[address] = TfResource(
            address=address, mode=str(resource.get("mode", "managed")), type=rtype, module=module,
            values=merged, line=line_of(resource), config=expressions if isinstance(expressions, dict) else None,
            region=self._region(merged, config))

    def _configuration(self) -> None:
        config = self.document.get("configuration")
        if not isinstance(config, dict):
            return
        providers = config.get("provider_config")
        self.providers = providers if isinstance(providers, dict) else {}
        stack = [("", config.get("root_module"))]
        while stack:
            path, module = stack.pop()
            if not isinstance(module, dict):
                continue
            self.modules[path] = module
            resources, calls = module.get("resources"), module.get("module_calls")
            for resource in resources if isinstance(resources, list) else []:
                if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                    self.config_resources[_join(path, _strip(resource["address"]))] = resource
            for name, call in calls.items() if isinstance(calls, dict) else ():
                if isinstance(call, dict):
                    stack.append((_join(path, f"module.{name}"), call.get("module")))

    def _region(self, values: dict, config: dict | None) -> str:
        """The resource's `region` (AWS provider 6), else its provider's constant region."""
        if isinstance(values.get("region"), str) and values["region"]:
            return values["region"]
        key = config.get("provider_config_key") if isinstance(config, dict) else None
        region = _get(self.providers.get(key) if isinstance(key, str) else None, "expressions", "region",
                      "constant_value")
        return region if isinstance(region, str) and region else self.default_region

    # -- queries --------------------------------------------------------------------------
    def of_type(self, *types: str, mode: str = "managed") -> list[TfResource]:
        return [r for r in self.resources.values() if r.type in types and r.mode == mode]

    def location(self, resource: TfResource, attr: str | None = None) -> Location:
        line = resource.values.line_of(attr) if attr and isinstance(resource.values, LineDict) else None
        return Location(self.file, line if line is not None and attr in resource.values else resource.line)

    def references(self, resource: TfResource, attr: str, *types: str) -> list[TfResource]:
        """The resources of `types` that the expression of `attr` is made from, following
        module outputs and input variables (whose values are expressions in the parent)."""
        expression = (resource.config or {}).get(attr)
        refs = expression.get("references") if isinstance(expression, dict) else None
        if not isinstance(refs, list):
            return []
        found = self._follow(refs, _strip(resource.module), resource.module, 0)
        if found is None:  # a loop, or deeper than any configuration: never "refers to nothing"
            raise InputError(self.location(resource, attr), f"{resource.address}.{attr}: its references pass "
                             f"through more than {MAX_HOPS} module outputs and variables; permcheck cannot follow them")
        hits = [self.resources[a] for a in dict.fromkeys(found) if a in self.resources]
        return [r for r in hits if (f"data.{r.type}" if r.mode == "data" else r.type) in types]

    def _follow(self, refs: list, scope: str, instance: str, hops: int) -> list[str] | None:
        """The resource addresses `refs` stand for; None past MAX_HOPS hops."""
        if hops > MAX_HOPS:
            return None
        out: list[str] = []
        for ref in refs:
            parts = _split(ref) if isinstance(ref, str) else []
            if len(parts) < 2:
                continue
            head = parts[0]
            if head == "var" and scope:
                parent, _, call = scope.rpartition(".module.") if ".module." in scope else ("", "", scope[7:])
                parent_instance = instance.rpartition(".module.")[0] if ".module." in instance else ""
                expr = _get(self.modules.get(parent), "module_calls", call, "expressions", _strip(parts[1]))
                found = self._follow(_refs(expr), parent, parent_instance, hops + 1)
                if found is None:
                    return None
                out += found
            elif head == "module" and len(parts) >= 3:
                child = _join(scope, f"module.{_strip(parts[1])}")
                expr = _get(self.modules.get(child), "outputs", _strip(parts[2]), "expression")
                found = self._follow(_refs(expr), child, _join(instance, f"module.{parts[1]}"), hops + 1)
                if found is None:
                    return None
                out += found
            elif head == "data" and len(parts) >= 3:
                out.append(_join(instance, f"data.{parts[1]}.{parts[2]}"))
            elif head not in _NOT_RESOURCES:
                out.append(_join(instance, f"{parts[0]}.{parts[1]}"))
        return out


def with_unknowns(value: object, unknown: object, where: str) -> object:
    """`value` with an `Unknown` at every place `after_unknown` marks `true`."""
    if unknown is True:
        return Unknown(f"{where} (known after apply)")
    if isinstance(unknown, dict) and unknown:
        base = value if isinstance(value, dict) else LineDict(line=line_of(value))
        out = LineDict(base, line=line_of(base), key_lines=dict(getattr(base, "key_lines", {})))
        for key, sub in unknown.items():
            if sub:
                out[key] = with_unknowns(base.get(key), sub, f"{where}.{key}")
        return out
    if isinstance(unknown, list) and any(unknown):
        base = list(value) if isinstance(value, list) else []
        base += [None] * (len(unknown) - len(base))
        lines = getattr(value, "item_lines", [])
        return LineList([with_unknowns(v, unknown[i] if i < len(unknown) else None, f"{where}[{i}]")
                         for i, v in enumerate(base)], line=line_of(value), item_lines=list(lines))
    return value


def _refs(expression: object) -> list:
    refs = expression.get("references") if isinstance(expression, dict) else None
    return refs if isinstance(refs, list) else []


def _get(node: object, *keys: str) -> object:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _split(ref: str) -> list[str]:
    """`module.a["x.y"].out` → ["module", 'a["x.y"]', "out"]: dots inside brackets do not split."""
    parts, depth, current, quoted = [], 0, "", False
    for char in ref:
        if char == '"' and depth:
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
        if char == "." and not depth:
            parts.append(current)
            current = ""
        else:
            current += char
    return parts + [current]


def _strip(address: str) -> str:
    """An instance address without instance keys: `module.a[0].aws_x.y["k"]` → `module.a.aws_x.y`."""
    return _INDEX.sub("", address)


def _join(prefix: str, rest: str) -> str:
    return f"{prefix}.{rest}" if prefix else rest
