"""spin-sdk 3.4.1 HTTP app: records each request in the default SQLite database.

It inserts the request's path into table `visits` and returns the number of rows as text.
`spin_sdk.sqlite` does not build with componentize-py 0.17.2 (its binding of
`fermyon:spin/sqlite@2.0.0` is generated as `fermyon_spin_sqlite`, because the name clashes with
`spin:sqlite/sqlite@3.0.0`), so the app imports that binding directly.
A database error is answered 500 with the error as text.
"""

from spin_sdk import http
from spin_sdk.http import Request, Response
from spin_sdk.wit.imports import fermyon_spin_sqlite as sqlite
from spin_sdk.wit.types import Err


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        try:
            with sqlite.Connection.open("default") as db:
                db.execute("CREATE TABLE IF NOT EXISTS visits (path TEXT NOT NULL)", [])
                db.execute("INSERT INTO visits (path) VALUES (?)", [sqlite.Value_Text(request.uri)])
                result = db.execute("SELECT COUNT(*) FROM visits", [])
        except Err as err:
            message = f"sqlite error: {err.value!r}"
            return Response(500, {"content-type": "text/plain"}, message.encode())
        count = result.rows[0].values[0].value
        return Response(200, {"content-type": "text/plain"}, str(count).encode())
