"""wasi:sockets: present so that components importing it link, and every use denied.

Spin gives components no sockets: creating a socket or resolving a name answers the
interface's `access-denied`, never a trap. (The socket resources themselves can never be
obtained, so their methods are never reached.)
"""

from __future__ import annotations

from spin.runtime.wasi.p2.host import Resource, WasiCall
from spin.runtime.wasi.p2.registry import Interface

DENIED = "access-denied"

network = Interface("wasi:sockets/network", error=DENIED)
instance_network = Interface("wasi:sockets/instance-network", error=DENIED)
ip_name_lookup = Interface("wasi:sockets/ip-name-lookup", error=DENIED)
tcp = Interface("wasi:sockets/tcp", error=DENIED)
tcp_create_socket = Interface("wasi:sockets/tcp-create-socket", error=DENIED)
udp = Interface("wasi:sockets/udp", error=DENIED)
udp_create_socket = Interface("wasi:sockets/udp-create-socket", error=DENIED)


class Network(Resource):
    pass


@instance_network.func("instance-network")
def get_instance_network(call: WasiCall) -> Network:
    return Network()


INTERFACES = (
    network,
    instance_network,
    ip_name_lookup,
    tcp,
    tcp_create_socket,
    udp,
    udp_create_socket,
)
