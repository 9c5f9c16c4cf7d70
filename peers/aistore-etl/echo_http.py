"""AIStore ETL SDK HTTPMultiThreadedServer peer: returns the request body unchanged.
AIS_TARGET_URL=http://127.0.0.1:1 PORT=N [HOST=127.0.0.1] python echo_http.py"""
import os

from aistore.sdk.etl.webserver.http_multi_threaded_server import HTTPMultiThreadedServer


class EchoServer(HTTPMultiThreadedServer):
    def transform(self, data, *_):
        return data


if __name__ == "__main__":
    host = os.environ.get("HOST", "127.0.0.1")
    EchoServer(host=host, port=int(os.environ.get("PORT", "8000"))).start()
