"""AIStore ETL SDK HTTPMultiThreadedServer peer: always returns b"Hello World!" (12 bytes).
AIS_TARGET_URL=http://127.0.0.1:1 PORT=N [HOST=127.0.0.1] python hello_http.py"""
import os

from aistore.sdk.etl.webserver.http_multi_threaded_server import HTTPMultiThreadedServer


class HelloServer(HTTPMultiThreadedServer):
    def transform(self, data, *_):
        return b"Hello World!"


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    HelloServer(host=host, port=int(os.environ.get("PORT", "8000"))).start()
