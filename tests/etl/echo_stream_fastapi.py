"""The reference for the streaming differential suite: aistore[etl]'s FastAPIServer with a
streaming echo (transform_stream only, so the server runs in streaming mode, contract §7).
Run under uvicorn: uvicorn echo_stream_fastapi:fastapi_app --port N"""
from aistore.sdk.etl.webserver.fastapi_server import FastAPIServer


class EchoStreamFastAPI(FastAPIServer):
    def transform_stream(self, reader, path, etl_args):
        while True:
            chunk = reader.read(64 * 1024)
            if not chunk:
                break
            yield chunk


fastapi_server = EchoStreamFastAPI()
fastapi_app = fastapi_server.app
