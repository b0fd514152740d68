#!/usr/bin/env python3
"""Keep-alive load for test-deb.sh: CLIENTS connections to 127.0.0.1:PORT, each always with a GET
in flight (as a load balancer's pool: no retry), until the file STOP exists, MAX_SECONDS pass or
MAX_REQUESTS are sent. A connection the server closes after a response that said
"Connection: close" is opened again (that is no failure); anything else (an error status, a reset,
a close mid-exchange, a read timeout) is a failed request. Prints the counts; exit 1 if any failed.

  keepalive-load.py PORT CLIENTS STOP MAX_SECONDS MAX_REQUESTS
"""
import http.client
import os
import sys
import threading
import time

port, clients, stop, max_seconds, max_requests = (int(sys.argv[1]), int(sys.argv[2]), sys.argv[3],
                                                  float(sys.argv[4]), int(sys.argv[5]))
deadline = time.monotonic() + max_seconds
lock = threading.Lock()
sent = failed = reconnects = 0
failures = []


def done():
    return os.path.exists(stop) or time.monotonic() > deadline or sent >= max_requests


def client():
    global sent, failed, reconnects
    conn = None
    while not done():
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", "/")
            response = conn.getresponse()
            response.read()
            ok = response.status == 200
            why = "status %d" % response.status
            if response.will_close:
                conn.close()
                conn = None
                with lock:
                    reconnects += 1
        except (OSError, http.client.HTTPException) as e:
            ok, why = False, "%s: %s" % (type(e).__name__, e)
            conn.close()
            conn = None
        with lock:
            sent += 1
            if not ok:
                failed += 1
                if len(failures) < 10:
                    failures.append(why)
    if conn is not None:
        conn.close()


threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print("load: %d requests on %d keep-alive connections, %d failed, %d connections closed by "
      "cutover after Connection: close%s" % (sent, clients, failed, reconnects,
                                             "; first failures: " + "; ".join(failures) if failures else ""))
sys.exit(1 if failed else 0)
