"""FastAPI peer, as in the AIStore ETL benchmark, run under Uvicorn or Gunicorn+Uvicorn.

GET /health -> 200 "Running"; GET or PUT on `/` or any other path -> 200 "Hello World!"
(PUT reads the whole body first). The study's version answered "Hello World from PUT!" /
"Hello World from GET!"; this one answers the same 12 bytes as every other peer.

    uvicorn main:app --host 127.0.0.1 --port N --no-access-log
    gunicorn -k uvicorn.workers.UvicornWorker -w 2 -b 127.0.0.1:N main:app
"""

from fastapi import FastAPI, Request
from fastapi.responses import Response

HELLO = b"Hello World!"

app = FastAPI()


@app.get("/health")
async def health():
    return Response(b"Running", media_type="text/plain")


@app.get("/")
@app.get("/{path:path}")
async def get_hello(path: str = ""):
    return Response(HELLO, media_type="text/plain")


@app.put("/")
@app.put("/{path:path}")
async def put_hello(request: Request, path: str = ""):
    await request.body()
    return Response(HELLO, media_type="text/plain")
