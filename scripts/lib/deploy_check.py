"""Schema checks for scripts/deploy-check: deploy/compose.yaml against the Compose
specification's JSON schema, and the Helm chart rendered by Helm's own engine (helm-python-sdk
binds Helm's Go SDK) against the Kubernetes JSON schemas (kubernetes-validate, strict: unknown
fields are errors) and, for the ServiceMonitor, the Prometheus Operator CRD's schema. Prints one
line per check; exits 1 on the first failure set.

usage: python deploy_check.py REPO_ROOT
"""

import copy
import json
import sys
from pathlib import Path

import helm_python as helm
import jsonschema
import kubernetes_validate
import yaml

# The oldest Kubernetes the chart supports with its defaults (preStop's sleep action is 1.30),
# and the newest the schemas know.
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]

failures = []


def check(name, ok, detail=""):
    print(f"  {'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail and not ok else ''}")
    if not ok:
        failures.append(name)


def errors_of(validator, document):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(document)]


def check_compose(root):
    print("compose: deploy/compose.yaml against the Compose specification schema")
    schema = json.loads((root / "deploy/schemas/compose-spec.json").read_text())
    compose = yaml.safe_load((root / "deploy/compose.yaml").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = errors_of(validator, compose)
    check("schema", not errors, "; ".join(errors[:5]))

    services = compose.get("services", {})
    daemons = [n for n, s in services.items() if s.get("command") != ["migrate"] and "zoomsync" in str(s.get("image", ""))]
    check("two zoomsync replicas", len(daemons) >= 2, f"found {daemons}")
    waits = all(
        services[n].get("depends_on", {}).get("migrate", {}).get("condition") == "service_completed_successfully"
        for n in daemons
    )
    check("every replica waits for `zoomsync migrate` to succeed", "migrate" in services and waits)
    check("migrate runs once", services.get("migrate", {}).get("restart") == "no")
    grace = all(services[n].get("stop_grace_period") == "45s" for n in daemons)
    check("stop_grace_period 45s on every replica", grace)
    exposed = [n for n, s in services.items() if s.get("ports") and n != "caddy"]
    check("only the proxy publishes ports", not exposed, f"also {exposed}")
    for name, secret in compose.get("secrets", {}).items():
        check(f"secret {name} is a file under deploy/secrets/", str(secret.get("file", "")).startswith("./secrets/"))


def strict(schema):
    """A CRD's structural schema lets unknown fields through (the API server prunes them
    silently); for a check, an unknown field is a typo: forbid what the schema does not name."""
    schema = copy.deepcopy(schema)

    def walk(node):
        if isinstance(node, dict):
            if (
                node.get("type") == "object"
                and "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    # metadata is only {type: object} in a CRD; the API server checks it like any object's.
    return schema


def validate_manifests(label, manifests, root):
    service_monitor = jsonschema.Draft7Validator(
        strict(json.loads((root / "deploy/schemas/servicemonitor-monitoring.coreos.com-v1.json").read_text()))
    )
    kinds = []
    for template, text in sorted(manifests.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(text):
            if not document:
                continue
            kind = document.get("kind")
            kinds.append(kind)
            where = f"{label}: {template.split('/templates/')[-1]} {kind}"
            if document.get("apiVersion") == "monitoring.coreos.com/v1":
                errors = errors_of(service_monitor, document)
                check(f"{where} (Prometheus Operator CRD schema, strict)", not errors, "; ".join(errors[:5]))
                continue
            for version in KUBERNETES_VERSIONS:
                try:
                    kubernetes_validate.validate(document, version, strict=True)
                    check(f"{where} (Kubernetes {version}, strict)", True)
                except kubernetes_validate.ValidationError as e:
                    check(f"{where} (Kubernetes {version}, strict)", False, f"{'/'.join(map(str, e.path))}: {e.message}")
                except kubernetes_validate.SchemaNotFoundError as e:
                    check(f"{where} (Kubernetes {version})", False, f"no schema: {e}")
    return kinds


def objects(manifests, kind):
    for template, text in manifests.items():
        if not template.endswith((".yaml", ".yml")):
            continue
        for document in yaml.safe_load_all(text):
            if document and document.get("kind") == kind:
                yield document


def check_chart(root):
    chart_dir = root / "deploy/helm/zoomsync"
    print(f"helm: {chart_dir.relative_to(root)} rendered by Helm {helm.helm_sdk_version()} (helm-python-sdk)")
    test_values = yaml.safe_load((chart_dir / "ci/test-values.yaml").read_text())

    lint = helm.lint(str(chart_dir), test_values, strict=True)
    problems = [m for m in lint.get("messages", []) if m.get("severity", 0) > 1] + lint.get("errors", [])
    check("helm lint --strict", not problems, json.dumps(problems)[:500])

    with helm.Chart.load(str(chart_dir)) as chart:
        # Without secrets and publicUrl the chart must refuse to render, not deploy half-configured.
        try:
            chart.render({}, name="zoomsync", namespace="zoomsync")
            check("default values are refused (secrets, publicUrl required)", False, "rendered")
        except helm.HelmRenderError as e:
            check("default values are refused (secrets, publicUrl required)", "is required" in str(e), str(e))

        variants = {
            "everything on": test_values,
            "existing Secret, no init container, no preStop": {
                **{k: v for k, v in test_values.items() if k != "secrets"},
                "existingSecret": "zoomsync-secrets",
                "migrations": {"initContainer": False},
                "preStopSleepSeconds": 0,
                "ingress": {"enabled": False},
                "serviceMonitor": {"enabled": False},
            },
        }
        for label, values in variants.items():
            manifests = chart.render(values, name="zoomsync", namespace="zoomsync")
            kinds = validate_manifests(label, manifests, root)
            print(f"  rendered ({label}): {', '.join(sorted(kinds))}")

            for deployment in objects(manifests, "Deployment"):
                spec = deployment["spec"]["template"]["spec"]
                container = spec["containers"][0]
                check(
                    f"{label}: probes /healthz (liveness) and /readyz (readiness)",
                    container.get("livenessProbe", {}).get("httpGet", {}).get("path") == "/healthz"
                    and container.get("readinessProbe", {}).get("httpGet", {}).get("path") == "/readyz",
                )
                pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
                grace = spec["terminationGracePeriodSeconds"]
                # The daemon's graceful stop: 10 s for requests, then 25 s for refreshes in flight.
                check(f"{label}: grace {grace} s covers preStop {pre_stop} s + the 35 s bounded stop", grace >= pre_stop + 35)
                env = {e["name"]: e for e in container["env"]}
                refs = [
                    env[n].get("valueFrom", {}).get("secretKeyRef", {}).get("name")
                    for n in (
                        "ZOOMSYNC__DATABASE__URL",
                        "ZOOMSYNC__SECURITY__ADMIN_TOKEN",
                        "ZOOMSYNC__SECURITY__BOT_SECRET",
                        "ZOOMSYNC__SECURITY__ENCRYPTION_KEY",
                    )
                ]
                expected = values.get("existingSecret") or "zoomsync"
                check(f"{label}: every secret comes from the Secret {expected}", refs == [expected] * 4, str(refs))
                has_init = any(c["args"] == ["migrate"] for c in spec.get("initContainers", []))
                check(f"{label}: migrations in an init container: {has_init}", has_init == values.get("migrations", {}).get("initContainer", True))
            for ingress in objects(manifests, "Ingress"):
                paths = [p["path"] for r in ingress["spec"]["rules"] for p in r["http"]["paths"]]
                leaks = [p for p in paths if "/metrics".startswith(p.rstrip("/") + "/") or p.startswith("/metrics")]
                check(f"{label}: the Ingress does not publish /metrics", not leaks, f"paths {leaks}")
            secrets = list(objects(manifests, "Secret"))
            check(f"{label}: Secret rendered only without existingSecret", bool(secrets) == (not values.get("existingSecret")))


def main():
    root = Path(sys.argv[1]).resolve()
    check_compose(root)
    check_chart(root)
    if failures:
        print(f"{len(failures)} schema check(s) failed")
        sys.exit(1)


if __name__ == "__main__":
    main()
