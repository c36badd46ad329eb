"""A real 3-node OpenSearch 2.19 cluster, assembled from Maven Central parts by
ops/opensearch/assemble.sh and started by ops/opensearch/cluster.py (what `make opensearch-up`
runs), on 127.0.0.1 with free ports and its own state folder.

400 Reuters-21578 articles (read by `corpus`) go into an index made from an index template,
behind an alias, with English analysis, 3 shards and 1 replica. The searches Broadsheet's
OpenSearch backend will need are checked against counts computed here from the same
articles; then one node is stopped (searches and writes still answer, the cluster is
yellow) and started again (green).

Skips with the reason when the cluster cannot run here; fails instead when
``BROADSHEET_REQUIRE_OPENSEARCH=1``. Timings are printed (``-s``) and attached as properties.
"""

from __future__ import annotations

import collections
import itertools
import json
import re
import time
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient
from opensearch_servers import Cluster

from corpus import Article, ReadReport, read_paths
from support import shared_path

pytestmark = pytest.mark.slow

INDEX = "broadsheet-test-1987"
ALIAS = "broadsheet-test"
MODULES = {
    "aggs-matrix-stats",
    "analysis-common",
    "lang-painless",
    "mapper-extras",
    "parent-join",
    "reindex",
    "transport-netty4",
}


@pytest.fixture(scope="module")
def cluster(opensearch_cluster: Cluster) -> Cluster:
    """The session's cluster (conftest), under this module's short name."""
    return opensearch_cluster


@pytest.fixture(scope="module")
def articles() -> list[Article]:
    """The first 400 Reuters-21578 articles, as Broadsheet's corpus reader gives them."""
    path = shared_path("data", "reuters21578", "reut2-000.sgm.gz")
    return list(itertools.islice(read_paths([path], ReadReport()), 400))


def _document(article: Article) -> dict:
    data = article.to_json_dict()
    del data["origin"], data["url"], data["author"], data["views"]
    data["story"] = article.title.lower()  # stands in for Broadsheet's near-duplicate key
    data["body_words"] = len(article.body.split())
    return data


@pytest.fixture(scope="module")
def index(cluster: Cluster, articles: list[Article]) -> str:
    """The articles indexed through a template-made index behind an alias; green."""
    from opensearchpy import helpers

    client = cluster.client()
    text = {"type": "text", "analyzer": "english"}
    client.indices.put_index_template(
        name="broadsheet-test",
        body={
            "index_patterns": ["broadsheet-test-*"],
            "template": {
                "settings": {
                    "number_of_shards": 3,
                    "number_of_replicas": 1,
                    # A node away for less than this gets its own copies back (and replays
                    # what it missed) instead of new copies being built elsewhere; a node
                    # here can take over a minute, the default, to start on a busy machine.
                    "index.unassigned.node_left.delayed_timeout": "5m",
                },
                "mappings": {
                    "dynamic": "strict",
                    "properties": {
                        "id": {"type": "keyword"},
                        "title": {**text, "fields": {"sayt": {"type": "search_as_you_type"}}},
                        "body": text,
                        "date": {"type": "date"},
                        "tags": {"type": "keyword"},
                        "source": {"type": "keyword"},
                        "language": {"type": "keyword"},
                        "story": {"type": "keyword"},
                        "body_words": {"type": "integer"},
                    },
                },
            },
        },
    )
    client.indices.create(index=INDEX, body={"aliases": {ALIAS: {}}})
    actions = ({"_index": ALIAS, "_id": a.id, "_source": _document(a)} for a in articles)
    indexed, errors = helpers.bulk(client, actions, refresh=True)
    assert (indexed, errors) == (len(articles), [])
    health = client.cluster.health(
        index=INDEX, wait_for_status="green", timeout="120s", request_timeout=150
    )
    assert health["status"] == "green", health
    return ALIAS


def _search(cluster: Cluster, body: dict, *nodes: str) -> dict:
    result = cluster.client(*nodes).search(index=ALIAS, body=body)
    assert result["_shards"]["failed"] == 0, result["_shards"]
    return result


def test_three_nodes_on_loopback_with_the_modules(cluster: Cluster) -> None:
    client = cluster.client()
    health = client.cluster.health()
    assert (health["status"], health["number_of_nodes"]) == ("green", 3)
    info = client.nodes.info(metric="plugins,http,transport")["nodes"].values()
    assert len(info) == 3
    for node in info:
        assert {module["name"] for module in node["modules"]} == MODULES
        assert node["plugins"] == []  # no security plugin: plain HTTP on loopback
        for layer in ("http", "transport"):
            assert all(a.startswith("127.0.0.1:") for a in node[layer]["bound_address"])
    print(f"cluster timings: {cluster.timings}")


def test_english_analysis_stems_and_drops_stop_words(cluster: Cluster, index: str) -> None:
    tokens = cluster.client().indices.analyze(
        index=index, body={"field": "body", "text": "The banks were lending"}
    )["tokens"]
    assert [t["token"] for t in tokens] == ["bank", "were", "lend"]


def test_match_with_highlighting_and_title_weight(cluster: Cluster, index: str) -> None:
    body = {
        "query": {"multi_match": {"query": "cocoa", "fields": ["title^3", "body"]}},
        "highlight": {"fields": {"body": {}}},
    }
    hits = _search(cluster, body)["hits"]["hits"]
    assert hits[0]["_id"] == "reuters-1"  # BAHIA COCOA REVIEW: "cocoa" in the title
    assert "<em>cocoa</em>" in " ".join(hits[0]["highlight"]["body"]).lower()


def test_terms_aggregation_counts_tags(cluster: Cluster, index: str, articles) -> None:
    body = {"size": 0, "aggs": {"tags": {"terms": {"field": "tags", "size": 500}}}}
    buckets = _search(cluster, body)["aggregations"]["tags"]["buckets"]
    expected = collections.Counter(tag for a in articles for tag in a.tags)
    assert {b["key"]: b["doc_count"] for b in buckets} == dict(expected)
    assert buckets[0]["key"] == "usa"


def test_date_histogram_counts_days(cluster: Cluster, index: str, articles) -> None:
    body = {
        "size": 0,
        "aggs": {"days": {"date_histogram": {"field": "date", "calendar_interval": "day"}}},
    }
    buckets = _search(cluster, body)["aggregations"]["days"]["buckets"]
    seen = {b["key_as_string"][:10]: b["doc_count"] for b in buckets if b["doc_count"]}
    expected = collections.Counter(a.date.strftime("%Y-%m-%d") for a in articles)
    assert seen == dict(expected)


def test_significant_terms_finds_the_topic(cluster: Cluster, index: str) -> None:
    body = {
        "size": 0,
        "query": {"match": {"body": "crude"}},
        "aggs": {"topics": {"significant_terms": {"field": "tags"}}},
    }
    buckets = _search(cluster, body)["aggregations"]["topics"]["buckets"]
    assert buckets[0]["key"] == "crude" and buckets[0]["doc_count"] >= 8


def test_collapse_keeps_one_hit_per_story(cluster: Cluster, index: str) -> None:
    body = {
        "query": {"match": {"title": "manila debt bonds"}},
        "collapse": {"field": "story", "inner_hits": {"name": "same", "size": 5}},
    }
    hits = _search(cluster, body)["hits"]["hits"]
    stories = [hit["fields"]["story"][0] for hit in hits]
    assert len(stories) == len(set(stories))
    manila = hits[0]
    assert manila["fields"]["story"] == ["manila said to offer debt bonds to banks"]
    assert manila["inner_hits"]["same"]["hits"]["total"]["value"] == 3


def test_phrase_query(cluster: Cluster, index: str, articles) -> None:
    body = {"query": {"match_phrase": {"body": "money supply"}}, "size": 100}
    hits = _search(cluster, body)["hits"]["hits"]
    phrase = re.compile(r"\bmoney[\s-]+suppl", re.I)
    assert all(phrase.search(hit["_source"]["body"]) for hit in hits)
    assert len(hits) >= sum(1 for a in articles if "money supply" in a.body.lower()) > 0


def test_wildcard_on_tags(cluster: Cluster, index: str, articles) -> None:
    body = {"query": {"wildcard": {"tags": "money*"}}, "size": 0, "track_total_hits": True}
    total = _search(cluster, body)["hits"]["total"]["value"]
    assert total == sum(1 for a in articles if any(t.startswith("money") for t in a.tags)) > 0


def test_did_you_mean_and_autocomplete(cluster: Cluster, index: str) -> None:
    suggest = {"suggest": {"fix": {"text": "cocao", "term": {"field": "body"}}}, "size": 0}
    options = _search(cluster, suggest)["suggest"]["fix"][0]["options"]
    assert options[0]["text"] == "cocoa"
    fields = ["title.sayt", "title.sayt._2gram", "title.sayt._3gram"]
    typed = {
        "query": {"multi_match": {"query": "bahia coc", "type": "bool_prefix", "fields": fields}}
    }
    assert _search(cluster, typed)["hits"]["hits"][0]["_id"] == "reuters-1"


def test_painless_script_and_matrix_stats(cluster: Cluster, index: str, articles) -> None:
    body = {
        "size": 1,
        "query": {"ids": {"values": ["reuters-1"]}},
        "script_fields": {"year": {"script": "doc['date'].value.getYear()"}},
        "aggs": {"shape": {"matrix_stats": {"fields": ["body_words"]}}},
    }
    result = _search(cluster, body)
    assert result["hits"]["hits"][0]["fields"]["year"] == [1987]
    assert result["aggregations"]["shape"]["fields"][0]["count"] == 1


def test_point_in_time_pages_a_fixed_view(cluster: Cluster, index: str, articles) -> None:
    client = cluster.client()
    pit = client.create_pit(index=index, keep_alive="2m")["pit_id"]
    try:
        late = {"id": "late-1", "title": "Late", "body": "written after the point in time"}
        client.index(index=index, id="late-1", body=late, refresh=True)
        seen: list[str] = []
        after = None
        while True:
            page = {"size": 64, "pit": {"id": pit, "keep_alive": "2m"}}
            page["sort"] = [{"date": "asc"}, {"id": "asc"}]
            if after:
                page["search_after"] = after
            hits = client.search(body=page)["hits"]["hits"]
            if not hits:
                break
            seen += [hit["_id"] for hit in hits]
            after = hits[-1]["sort"]
        assert len(seen) == len(set(seen)) == len(articles)
        assert set(seen) == {a.id for a in articles}  # the late article is not in the view
        removed = client.delete_by_query(
            index=index, body={"query": {"ids": {"values": ["late-1"]}}}
        )
        assert removed["deleted"] == 1
    finally:
        client.delete_pit(body={"pit_id": [pit]})


def _shard_copies(client: FlaskClient, index: str, timeout: float = 120.0) -> list[dict]:
    """``_cat/shards`` rows once every copy is started and reports its document count."""
    started = time.monotonic()
    while True:
        client.indices.refresh(index=index)
        rows = client.cat.shards(index=index, format="json")
        if all(row["state"] == "STARTED" and row["docs"] is not None for row in rows):
            return rows
        assert time.monotonic() - started < timeout, f"shard copies not settled: {rows}"
        time.sleep(0.5)


def test_losing_a_node_keeps_answers_and_it_rejoins(
    cluster: Cluster, index: str, articles, record_property: Callable[[str, object], None]
) -> None:
    client = cluster.client("node-1")
    manager = client.cat.cluster_manager(format="json")[0]["node"]
    victim = next(name for name in ("node-3", "node-2") if name != manager)
    survivors = [name for name in cluster.urls if name != victim]
    held = {row["shard"] for row in _shard_copies(client, index) if row["node"] == victim}
    assert len(held) == 2  # 3 shards x 2 copies over 3 nodes
    started = time.monotonic()
    cluster.command("stop-node", victim)
    health = client.cluster.health(wait_for_nodes="2", timeout="120s", request_timeout=150)
    assert (health["number_of_nodes"], health["status"]) == (2, "yellow"), health
    cluster.timings["stop_to_yellow_s"] = time.monotonic() - started
    for name in survivors:  # every shard still has a copy: full answers from each survivor
        result = _search(cluster, {"query": {"match": {"body": "oil"}}, "size": 0}, name)
        assert result["_shards"]["successful"] == result["_shards"]["total"] == 3
        assert cluster.client(name).count(index=index)["count"] == len(articles)
    for n in range(6):  # writes go on: a primary lost with the node has been replaced
        written = {"id": f"during-{n}", "title": "Written while a node was down", "body": "x"}
        client.index(index=index, id=f"during-{n}", body=written, refresh=True)
    started = time.monotonic()
    cluster.command("start-node", victim)
    health = client.cluster.health(
        wait_for_nodes="3", wait_for_status="green", timeout="300s", request_timeout=330
    )
    assert (health["number_of_nodes"], health["status"]) == (3, "green"), health
    cluster.timings["rejoin_to_green_s"] = time.monotonic() - started
    # Caught up: the node has its own copies back, and they hold what was written while it
    # was away (every copy of a shard has the same number of documents).
    rows = _shard_copies(client, index)
    assert {row["shard"] for row in rows if row["node"] == victim} == held, rows
    counts = collections.defaultdict(set)
    for row in rows:
        counts[row["shard"]].add(int(row["docs"]))
    assert all(len(docs) == 1 for docs in counts.values()), rows
    assert sum(docs.pop() for docs in counts.values()) == len(articles) + 6
    assert cluster.client(victim).count(index=index)["count"] == len(articles) + 6
    print(cluster.command("status"))  # each node's RSS after this workload
    for key, value in cluster.timings.items():
        record_property(key, round(value, 1))
    print(f"\ncluster timings: {json.dumps({k: round(v, 1) for k, v in cluster.timings.items()})}")
