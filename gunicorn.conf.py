"""gunicorn settings for Broadsheet (``gunicorn -c gunicorn.conf.py wsgi:app``).

gunicorn reads this file by default when started from the repository root.
Command-line flags and ``GUNICORN_CMD_ARGS`` override it. Environment:
``BROADSHEET_BIND`` (default 127.0.0.1:8000), ``WEB_CONCURRENCY`` (workers),
``BROADSHEET_THREADS`` (threads per worker, default 2), ``BROADSHEET_IO_TIMEOUT``
(seconds a request head may take to arrive, and any socket operation, default 10),
``BROADSHEET_ACCESS_LOG`` (a path, or ``-`` for stdout, the default),
``PROMETHEUS_MULTIPROC_DIR`` (shared metrics folder; a private temporary one
is created and removed when unset).
"""

from __future__ import annotations

import atexit
import gc
import glob
import multiprocessing
import os
import shutil
import tempfile

bind = os.environ.get("BROADSHEET_BIND", "127.0.0.1:8000")
# Searches are CPU-bound and each worker holds its own open index: one process per
# core, plus one, capped so that a big machine does not hold too many index readers.
workers = int(os.environ.get("WEB_CONCURRENCY", min(multiprocessing.cpu_count() + 1, 8)))
# gthread, not sync: a sync worker closes the connection after every response, so each
# request pays a new TCP handshake; gthread keeps connections alive (``keepalive``)
# and its threads read the next request while another thread searches (searches
# themselves take the service's lock, CPU-bound under the GIL, so few threads suffice).
# webui.worker's gthread reads request heads in the event loop and bounds every socket
# operation of a thread (BROADSHEET_IO_TIMEOUT, default 10 s): slow clients hold no thread.
worker_class = "webui.worker.HeadBufferingWorker"
threads = int(os.environ.get("BROADSHEET_THREADS", 2))
# The master kills a worker whose main loop stops beating for this long. A gthread
# worker's main loop beats while its threads compute, so this does NOT bound a request:
# the search time limit (BROADSHEET_SEARCH_TIME_LIMIT) and webui.worker's I/O timeout do.
timeout = 30
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (with jitter) so slow leaks cannot pile up.
max_requests = 5000
max_requests_jitter = 500
# HTTP limits in front of the app's own parameter limits.
# gunicorn caps the request line at 8190 bytes whatever is set here (a longer URL gets
# gunicorn's own 400/414 before the app sees it); say so rather than ask for 16384.
limit_request_line = 8190
limit_request_fields = 50
accesslog = os.environ.get("BROADSHEET_ACCESS_LOG", "-")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
errorlog = "-"
loglevel = os.environ.get("BROADSHEET_LOG_LEVEL", "info")
proc_name = "broadsheet"

# Prometheus multiprocess mode: every worker writes its counters to files in one
# folder, and /metrics (answered by any worker) sums them. The variable must be set
# before a worker imports prometheus_client, i.e. here, in the master.
_OWN_METRICS_DIR = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")


def _remove_own_metrics_dir(master_pid: int) -> None:
    """Remove the temporary metrics folder, from the master process only (forked
    workers inherit this exit handler)."""
    if _OWN_METRICS_DIR and os.getpid() == master_pid:
        shutil.rmtree(os.environ.get("PROMETHEUS_MULTIPROC_DIR", ""), ignore_errors=True)


def on_starting(server) -> None:
    """Make the metrics folder (a private temporary one unless configured), starting
    from empty metrics (a reused folder may hold files of dead processes). The
    private folder goes when the master exits, also when it fails to start."""
    if _OWN_METRICS_DIR:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="broadsheet-metrics-")
        atexit.register(_remove_own_metrics_dir, os.getpid())
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    os.makedirs(folder, exist_ok=True)
    for path in glob.glob(os.path.join(folder, "*.db")):
        os.remove(path)


def post_worker_init(worker) -> None:
    """Take what a worker holds once started (modules, the app, the opened index: about
    56,000 objects) out of the cyclic garbage collector's full passes. Each full pass
    walked them all and took 20-35 ms in the middle of whichever request triggered it
    (the slowest many-OR search of bench.tail_bench on Reuters, 44-55 ms against 12-16);
    with them frozen it takes about 5 ms. Objects made later are collected as before."""
    gc.collect()
    gc.freeze()


def child_exit(server, worker) -> None:
    """Let the metrics of a finished worker stop counting as live gauges."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:
    """Remove the temporary metrics folder this config created."""
    _remove_own_metrics_dir(os.getpid())
