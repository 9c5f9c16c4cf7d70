"""AIStore ETL SDK FlaskServer peer: always returns b"Hello World!" (12 bytes). Run under gunicorn:
AIS_TARGET_URL=http://127.0.0.1:1 gunicorn hello_flask:flask_app -b 127.0.0.1:N -w 2"""
from aistore.sdk.etl.webserver.flask_server import FlaskServer


class HelloServerFlask(FlaskServer):
    def transform(self, data, *_):
        return b"Hello World!"


flask_server = HelloServerFlask()
flask_app = flask_server.app
