"""Flask peer, as in the AIStore ETL benchmark: `/` and `/<path>` answer "Hello World!".

GET /health -> 200 "Running"; GET or PUT on `/` or any other path -> 200 "Hello World!"
(PUT reads the whole body first).

Run with Flask's built-in (Werkzeug development) server:
    python app.py --port N            (threaded, HTTP/1.1 keep-alive)
or with Gunicorn (default sync workers: one request at a time per worker, no keep-alive):
    gunicorn -w 2 -b 127.0.0.1:N app:app
"""

import argparse
import os
import sys

from flask import Flask, Response, request

HELLO = b"Hello World!"

app = Flask(__name__)


@app.get("/health")
def health():
    return Response(b"Running", mimetype="text/plain")


@app.route("/", methods=["GET", "PUT"])
@app.route("/<path:path>", methods=["GET", "PUT"])
def hello(path=""):
    if request.method == "PUT":
        request.get_data(cache=False)  # drain the body, as a transformer would read it
    return Response(HELLO, mimetype="text/plain")


def main() -> int:
    parser = argparse.ArgumentParser(description="Flask built-in server peer")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    app.run(host=args.host, port=args.port, threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
