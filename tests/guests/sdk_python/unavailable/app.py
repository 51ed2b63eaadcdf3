"""spin-sdk 3.4.1 HTTP app: calls the interfaces this runtime does not offer and answers, one
line each, the error the host returned: MySQL, PostgreSQL (spin_sdk.postgres, and
spin:postgres@4.0.0's binding; the build has no binding module of spin:postgres@3.0.0 by the
installed package's name) and the LLM (infer and generate-embeddings).
"""

from spin_sdk import http, llm, mysql, postgres
from spin_sdk.http import Request, Response
from spin_sdk.wit.imports import spin_postgres_postgres_4_0_0
from spin_sdk.wit.types import Err

CALLS = {
    "mysql": lambda: mysql.open("mysql://localhost/db"),
    "postgres": lambda: postgres.open("postgres://localhost/db"),
    "postgres4": lambda: spin_postgres_postgres_4_0_0.Connection.open("postgres://localhost/db"),
    "llm-infer": lambda: llm.infer("llama2-chat", "hello"),
    "llm-embeddings": lambda: llm.generate_embeddings("all-minilm-l6-v2", ["hello"]),
}


class IncomingHandler(http.IncomingHandler):
    def handle_request(self, request: Request) -> Response:
        lines = []
        for name, call in CALLS.items():
            try:
                call()
                lines.append(f"{name}: no error")
            except Err as err:
                lines.append(f"{name}: {err.value!r}")
        return Response(200, {"content-type": "text/plain"}, "\n".join(lines).encode())
