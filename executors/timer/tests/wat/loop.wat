;; A timer guest that never returns: only its deadline (--wasm-timeout) stops it.
(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) i32.const 0)
  (func (export "handle-timer-request")
    (loop $forever (br $forever))))
