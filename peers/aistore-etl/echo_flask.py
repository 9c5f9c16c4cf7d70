"""AIStore ETL SDK FlaskServer peer: returns the request body unchanged. Run under gunicorn:
AIS_TARGET_URL=http://127.0.0.1:1 gunicorn echo_flask:flask_app -b 127.0.0.1:N -w 2"""
from aistore.sdk.etl.webserver.flask_server import FlaskServer


class EchoServerFlask(FlaskServer):
    def transform(self, data, *_):
        return data


flask_server = EchoServerFlask()
flask_app = flask_server.app
