"""AIStore ETL SDK FastAPIServer peer: always returns b"Hello World!" (12 bytes). Run under uvicorn:
AIS_TARGET_URL=http://127.0.0.1:1 uvicorn hello_fastapi:fastapi_app --port N --workers 2"""
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer


class HelloServerFastAPI(FastAPIServer):
    def transform(self, data, *_):
        return b"Hello World!"


fastapi_server = HelloServerFastAPI()
fastapi_app = fastapi_server.app
