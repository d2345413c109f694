"""deploy/k8s against the Kubernetes and KEDA schemas, and against what the services read."""

import copy
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from jobline_comms.config import Settings as CommsSettings
from jobline_contracts.topics import COMMS_COMMANDS, DISPATCH_EVENTS, TOPICS, topic_partitions
from jobline_jobs.config import Settings as JobsSettings

pytestmark = pytest.mark.unit

# The oldest Kubernetes minor still commonly run, and the newest the schemas cover.
K8S_VERSIONS = ("1.30", kubernetes_validate.latest_version())
OUR_IMAGES = {"jobline/jobs": "jobs", "jobline/comms": "comms", "jobline/invoicing": "invoicing"}
DEPLOYMENTS = {"jobline-jobs": 8000, "jobline-comms": 8001, "jobline-invoicing": 8002}
# The jobs service's other roles: health, readiness and metrics on the same port, no Service.
JOBS_ROLES = {"jobline-jobs-consume": "consume", "jobline-jobs-relay": "relay"}
DEVELOPMENT = {"JOBLINE_ENV": "development"}  # by its alias: the local DSN is accepted
KEDA_CRDS = {
    "ScaledObject": "keda.sh_scaledobjects.yaml",
    "TriggerAuthentication": "keda.sh_triggerauthentications.yaml",
}


def _strict(schema: Any) -> Any:
    """The CRD schema as the API server applies it with strict field validation: an object
    with declared properties accepts no others (so a typo fails instead of being pruned)."""
    if isinstance(schema, dict):
        schema = {key: _strict(value) for key, value in schema.items()}
        if schema.get("type") == "object" and "properties" in schema:
            schema.setdefault("additionalProperties", False)
        return schema
    if isinstance(schema, list):
        return [_strict(item) for item in schema]
    return schema


@pytest.fixture(scope="module")
def keda_validators(support):
    """KEDA's vendored CRDs by kind, each made strict."""
    validators = {}
    for kind, file in KEDA_CRDS.items():
        (crd,) = support.load_yaml_documents(support.SCHEMAS / file)
        (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
        schema = _strict(version["schema"]["openAPIV3Schema"])
        # The CRD leaves metadata to the API server; check the fields every object needs.
        schema["properties"]["metadata"] = {
            "type": "object",
            "required": ["name", "namespace"],
            "properties": {
                "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "additionalProperties": False,
        }
        schema["required"] = sorted({*schema.get("required", []), "apiVersion", "kind", "metadata"})
        validators[kind] = jsonschema.Draft202012Validator(schema)
    return validators


def _validate(doc: dict[str, Any], version: str, keda_validators) -> None:
    if doc["apiVersion"].startswith("keda.sh/"):
        assert doc["kind"] in keda_validators, f"no vendored KEDA CRD for {doc['kind']}"
        keda_validators[doc["kind"]].validate(doc)
    else:
        kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("version", K8S_VERSIONS)
def test_every_manifest_matches_its_schema(k8s_documents, version, keda_validators):
    assert len(k8s_documents) >= 15
    for path, doc in k8s_documents:
        try:
            _validate(doc, version, keda_validators)
        except (jsonschema.ValidationError, kubernetes_validate.ValidationError) as error:
            where = "/".join(map(str, error.absolute_path))
            pytest.fail(f"{path.name}: {doc['kind']} {doc['metadata']['name']}: {where}: {error}")


@pytest.mark.parametrize(
    ("kind", "mutate"),
    [
        ("Deployment", lambda d: d["spec"]["template"]["spec"]["containers"][0].update(imge="x")),
        ("Deployment", lambda d: d["spec"].update(replicas="two")),
        ("PodDisruptionBudget", lambda d: d["spec"].update(minAvailabel=1)),
        ("ScaledObject", lambda d: d["spec"].update(maxReplicaCont=3)),
        ("ScaledObject", lambda d: d["spec"]["triggers"][0].pop("metadata")),
        ("ScaledObject", lambda d: d["spec"].pop("scaleTargetRef")),
        ("TriggerAuthentication", lambda d: d["spec"]["secretTargetRef"][0].pop("key")),
        ("TriggerAuthentication", lambda d: d["spec"].update(secretRef=[])),
    ],
)
def test_the_validation_rejects_a_broken_manifest(k8s_objects, kind, mutate, keda_validators):
    broken = copy.deepcopy(next(k8s_objects(kind)))
    mutate(broken)
    with pytest.raises((jsonschema.ValidationError, kubernetes_validate.ValidationError)):
        _validate(broken, K8S_VERSIONS[-1], keda_validators)


def test_the_kustomization_lists_every_manifest_but_the_secrets_template(support):
    kustomization = yaml.safe_load((support.K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in support.K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"secrets.template.yaml"}
    assert {i["name"] for i in kustomization["images"]} == set(OUR_IMAGES)


def test_secrets_are_templates_with_placeholders_only(support):
    docs = support.load_yaml_documents(support.K8S / "secrets.template.yaml")
    assert {d["kind"] for d in docs} == {"Secret"}
    for doc in docs:
        assert "data" not in doc, "base64 data hides what it holds: stringData placeholders only"
        for key, value in doc["stringData"].items():
            assert "REPLACE_ME" in value, f"{doc['metadata']['name']}.{key} is not a placeholder"
    for path in support.K8S.glob("*.yaml"):
        if path.name != "secrets.template.yaml":
            assert "kind: Secret" not in path.read_text(), f"{path.name} holds a Secret"


def _unknown_settings(docs, support) -> dict[str, set[str]]:
    """Per workload running one of our images: the variables it is given that its
    service does not read (directly, or through the ConfigMaps and Secrets it loads)."""
    sources = {
        (doc["kind"], doc["metadata"]["name"]): set(doc.get("data", {}) | doc.get("stringData", {}))
        for doc in docs
        if doc["kind"] in {"ConfigMap", "Secret"}
    }
    found = {}
    for doc in docs:
        if doc["kind"] not in {"Deployment", "Job"}:
            continue
        for container in doc["spec"]["template"]["spec"]["containers"]:
            if container["image"] not in OUR_IMAGES:
                continue
            names = {e["name"] for e in container.get("env", [])}
            for source in container.get("envFrom", []):
                kind, ref = next(iter(source.items()))
                key = ("ConfigMap" if kind == "configMapRef" else "Secret", ref["name"])
                assert key in sources or ref.get("optional"), f"{key} is referenced, not defined"
                names |= sources.get(key, set())
            allowed = support.env_names_of(OUR_IMAGES[container["image"]])
            found[doc["metadata"]["name"]] = names - allowed
    return found


def test_every_variable_set_is_a_setting_of_the_service(k8s_documents, support):
    unknown = _unknown_settings([doc for _, doc in k8s_documents], support)
    assert len(unknown) == 6  # five Deployments and the migration Job
    assert not any(unknown.values()), unknown


def test_a_misspelt_setting_is_caught(k8s_documents, support):
    docs = copy.deepcopy([doc for _, doc in k8s_documents])
    (config,) = (d for d in docs if d["metadata"]["name"] == "jobline-comms-config")
    config["data"]["JOBLINE_COMMS_TWILLIO_BASE_URL"] = config["data"].pop(
        "JOBLINE_COMMS_TWILIO_BASE_URL"
    )
    unknown = _unknown_settings(docs, support)
    assert unknown["jobline-comms"] == {"JOBLINE_COMMS_TWILLIO_BASE_URL"}


def test_deployments_probe_limit_and_run_unprivileged(k8s_objects):
    deployments = {d["metadata"]["name"]: d for d in k8s_objects("Deployment")}
    assert set(deployments) == set(DEPLOYMENTS) | set(JOBS_ROLES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] != 0
        (container,) = pod["containers"]
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports == {"http": DEPLOYMENTS.get(name, 8000)}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert set(container["resources"]) == {"requests", "limits"}
        for resources in container["resources"].values():
            assert set(resources) == {"cpu", "memory"}
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        # The only writable place under a read-only root (HOME and caches point there).
        assert {"mountPath": "/tmp", "name": "tmp"} in container["volumeMounts"]  # noqa: S108


def test_each_deployment_has_a_service_and_a_disruption_budget(k8s_objects):
    labels = {
        d["metadata"]["name"]: d["spec"]["template"]["metadata"]["labels"]
        for d in k8s_objects("Deployment")
    }

    def selects(selector: dict[str, str]) -> set[str]:
        return {n for n, ls in labels.items() if selector.items() <= ls.items()}

    budgets = [
        selects(p["spec"]["selector"]["matchLabels"]) for p in k8s_objects("PodDisruptionBudget")
    ]
    services = [selects(s["spec"]["selector"]) for s in k8s_objects("Service")]
    assert sorted(map(sorted, budgets)) == [[n] for n in sorted(labels)]
    assert sorted(map(sorted, services)) == [[n] for n in sorted(DEPLOYMENTS)]


def test_jobs_runs_each_role_in_its_own_deployment(k8s_objects):
    deployments = {d["metadata"]["name"]: d for d in k8s_objects("Deployment")}
    roles = {}
    for name in ("jobline-jobs", *JOBS_ROLES):
        (container,) = deployments[name]["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        roles[name] = (container["args"], env.get("JOBLINE_JOBS_ROLES"))
    assert roles == {
        "jobline-jobs": (["serve"], "api"),
        "jobline-jobs-consume": (["consume"], None),
        "jobline-jobs-relay": (["relay"], None),
    }
    # Consumers beyond the partitions would idle and never turn ready.
    assert deployments["jobline-jobs-consume"]["spec"]["replicas"] <= DISPATCH_EVENTS.partitions


# Who speaks Kafka, as which principal (the API role of jobs holds no Kafka client).
KAFKA_PRINCIPALS = {
    "jobline-jobs-consume": "jobline-jobs",
    "jobline-jobs-relay": "jobline-jobs",
    "jobline-comms": "jobline-comms",
    "jobline-invoicing": "jobline-invoicing",
}


def test_each_kafka_client_is_its_own_principal_over_sasl_ssl_with_the_password_secret(
    k8s_objects,
):
    (client,) = (
        c for c in k8s_objects("ConfigMap") if c["metadata"]["name"] == "jobline-kafka-client"
    )
    assert client["data"]["JOBLINE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert client["data"]["JOBLINE_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    for deployment in k8s_objects("Deployment"):
        name, pod = deployment["metadata"]["name"], deployment["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        env = {e["name"]: e for e in container.get("env", [])}
        loaded = {
            ref["configMapRef"]["name"] for ref in container["envFrom"] if "configMapRef" in ref
        }
        if name not in KAFKA_PRINCIPALS:
            assert "jobline-kafka-client" not in loaded
            assert "JOBLINE_KAFKA_SASL_PASSWORD" not in env
            continue
        assert "jobline-kafka-client" in loaded, name
        assert env["JOBLINE_KAFKA_SASL_USERNAME"]["value"] == KAFKA_PRINCIPALS[name]
        assert env["JOBLINE_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": f"{KAFKA_PRINCIPALS[name]}-kafka",
            "key": "password",
        }
        (mount,) = (m for m in container["volumeMounts"] if m["name"] == "kafka-ca")
        cafile = client["data"]["JOBLINE_KAFKA_SSL_CAFILE"]
        assert cafile == f"{mount['mountPath']}/ca.crt"
        assert mount["readOnly"]
        volumes = {v["name"]: v for v in pod["volumes"]}
        assert volumes["kafka-ca"]["secret"]["secretName"] == "jobline-kafka-ca"


def test_the_jobs_api_trusts_forwarded_headers_from_a_network_not_everyone(k8s_objects):
    (api,) = (d for d in k8s_objects("Deployment") if d["metadata"]["name"] == "jobline-jobs")
    (container,) = api["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container.get("env", [])}
    trusted = env["FORWARDED_ALLOW_IPS"]
    assert "*" not in trusted
    # The jobs settings read it (and refuse what uvicorn would silently never match).
    assert JobsSettings(**DEVELOPMENT, forwarded_allow_ips=trusted).forwarded_allow_ips
    with pytest.raises(ValueError, match="not an address or network"):
        JobsSettings(**DEVELOPMENT, forwarded_allow_ips="10.0.0.1/8")


def test_comms_scales_on_its_consumer_group_lag_up_to_the_partitions(k8s_objects):
    (scaled,) = k8s_objects("ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    assert trigger["type"] == "kafka"
    metadata = trigger["metadata"]
    assert metadata["consumerGroup"] == CommsSettings.model_fields["consumer_group"].default
    assert metadata["topic"] == COMMS_COMMANDS.name
    assert int(metadata["lagThreshold"]) > 0
    assert metadata["allowIdleConsumers"] == "false"
    assert 1 <= scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]
    assert scaled["spec"]["maxReplicaCount"] <= COMMS_COMMANDS.partitions
    (config,) = (
        c for c in k8s_objects("ConfigMap") if c["metadata"]["name"] == "jobline-comms-config"
    )
    assert metadata["bootstrapServers"] == config["data"]["KAFKA_BOOTSTRAP_SERVERS"]
    (target,) = (
        d
        for d in k8s_objects("Deployment")
        if d["metadata"]["name"] == scaled["spec"]["scaleTargetRef"]["name"]
    )
    assert "replicas" not in target["spec"], "KEDA owns the replica count"
    assert target["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0


def test_keda_reads_the_lag_as_comms_own_principal_over_sasl_ssl(k8s_objects):
    (scaled,) = k8s_objects("ScaledObject")
    (trigger,) = scaled["spec"]["triggers"]
    (auth,) = k8s_objects("TriggerAuthentication")
    assert trigger["authenticationRef"]["name"] == auth["metadata"]["name"]
    (client,) = (
        c for c in k8s_objects("ConfigMap") if c["metadata"]["name"] == "jobline-kafka-client"
    )
    assert client["data"]["JOBLINE_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert client["data"]["JOBLINE_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    assert (trigger["metadata"]["sasl"], trigger["metadata"]["tls"]) == ("scram_sha512", "enable")
    # The same user, password and CA the comms workers use.
    (comms,) = (d for d in k8s_objects("Deployment") if d["metadata"]["name"] == "jobline-comms")
    (container,) = comms["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    (user,) = auth["spec"]["env"]
    assert (user["parameter"], user["containerName"]) == ("username", container["name"])
    assert env[user["name"]]["value"] == "jobline-comms"
    refs = {r["parameter"]: (r["name"], r["key"]) for r in auth["spec"]["secretTargetRef"]}
    password = env["JOBLINE_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert refs["password"] == (password["name"], password["key"])
    assert refs["ca"] == ("jobline-kafka-ca", "ca.crt")


def test_the_migration_job_migrates_and_the_jobs_pods_do_not(k8s_objects):
    jobs = {j["metadata"]["name"]: j for j in k8s_objects("Job")}
    (container,) = jobs["jobline-jobs-migrate"]["spec"]["template"]["spec"]["containers"]
    assert (container["image"], container["args"]) == ("jobline/jobs", ["migrate"])
    config = {c["metadata"]["name"]: c["data"] for c in k8s_objects("ConfigMap")}
    assert config["jobline-jobs-config"]["JOBLINE_JOBS_MIGRATE_ON_START"] == "false"
    # comms has no migrate command: it must keep migrating at start.
    assert config["jobline-comms-config"]["JOBLINE_COMMS_MIGRATE_ON_START"] == "true"


def _topics(spec: str) -> dict[str, int]:
    return {name: int(n) for name, _, n in (word.rpartition(":") for word in spec.split())}


def registry_topics() -> dict[str, int]:
    return topic_partitions()


def test_the_topics_job_creates_the_registrys_topics(k8s_objects):
    jobs = {j["metadata"]["name"]: j for j in k8s_objects("Job")}
    (container,) = jobs["jobline-kafka-topics"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert _topics(env["TOPICS"]) == registry_topics()
    assert set(env["COMPACTED"].split()) == {t.name for t in TOPICS if t.compacted}
    assert int(env["REPLICATION_FACTOR"]) > int(env["MIN_INSYNC_REPLICAS"]) >= 2


def test_the_vendored_crd_is_keda_scaled_object(support):
    (crd,) = support.load_yaml_documents(support.SCHEMAS / "keda.sh_scaledobjects.yaml")
    assert crd["metadata"]["name"] == "scaledobjects.keda.sh"
    assert "v1alpha1" in {v["name"] for v in crd["spec"]["versions"]}
