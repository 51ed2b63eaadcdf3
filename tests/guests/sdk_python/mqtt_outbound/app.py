"""spin-sdk 3.4.1 HTTP app: outbound MQTT (`fermyon:spin/mqtt@2.0.0`) with spin_sdk.mqtt.

The query gives the broker `address` and, optionally, `user`, `password`, `topic` (default
`out`), `qos` (0, 1 or 2; default 1) and `connections` (default 1). The app opens that many
connections (keep-alive 30 s), publishes the request's body on the topic through the last one,
closes them and answers "published". An MQTT error is answered 502 with the error value (for
example `Error_ConnectionFailed(value='address ... is not permitted')`).
"""

from urllib.parse import parse_qs, urlsplit

from spin_sdk import http, mqtt
from spin_sdk.http import Request, Response
from spin_sdk.mqtt import Qos
from spin_sdk.wit.types import Err


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        query = {name: values[0] for name, values in parse_qs(urlsplit(request.uri).query).items()}
        user, password = query.get("user", ""), query.get("password", "")
        held = []
        try:
            for _ in range(int(query.get("connections", "1"))):
                held.append(mqtt.open(query["address"], user, password, 30))
            qos = Qos(int(query.get("qos", "1")))
            held[-1].publish(query.get("topic", "out"), request.body or b"", qos)
        except Err as err:
            return Response(
                502, {"content-type": "text/plain"}, f"mqtt error: {err.value!r}".encode()
            )
        finally:
            for connection in held:
                connection.__exit__(None, None, None)
        return Response(200, {"content-type": "text/plain"}, b"published")
