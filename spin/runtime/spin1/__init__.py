"""Core Wasm modules: Spin 1.x SDK modules (the old canonical ABI: `abi` for memory and values,
`host` for Spin's 1.x host functions) and WASI command modules (WAGI), both in `module_guest`."""
