"""AIStore ETL SDK FastAPIServer peer: returns the request body unchanged. Run under uvicorn:
AIS_TARGET_URL=http://127.0.0.1:1 uvicorn echo_fastapi:fastapi_app --port N --workers 2"""
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer


class EchoServerFastAPI(FastAPIServer):
    def transform(self, data, *_):
        return data


fastapi_server = EchoServerFastAPI()
fastapi_app = fastapi_server.app
