;; A guest that writes to stdout (or, for a POST, stderr) in 64 KiB pieces forever, ignoring
;; write errors: as a WASI command (`_start`, as WAGI runs it) it first writes CGI headers; as
;; a Spin 1.x HTTP handler it never returns.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 4)
  (global $heap (mut i32) (i32.const 196608))
  (data (i32.const 256) "Content-Type: text/plain\n\n")  ;; 26

  (func (export "canonical_abi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr
      (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (local.get $ptr))

  (func (export "canonical_abi_free") (param i32 i32 i32))

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $flood (param $fd i32)
    (memory.fill (i32.const 65536) (i32.const 0x78) (i32.const 65536))  ;; "xxx..."
    (loop $more
      (call $write (local.get $fd) (i32.const 65536) (i32.const 65536))
      (br $more)))

  (func (export "_start")
    (call $write (i32.const 1) (i32.const 256) (i32.const 26))
    (call $flood (i32.const 1)))

  (func (export "handle-http-request")
    (param $method i32) (param $uri_ptr i32) (param $uri_len i32)
    (param $headers_ptr i32) (param $headers_len i32) (param $params_ptr i32)
    (param $params_len i32) (param $has_body i32) (param $body_ptr i32) (param $body_len i32)
    (result i32)
    ;; method 1 is POST: flood stderr instead
    (call $flood (select (i32.const 2) (i32.const 1) (i32.eq (local.get $method) (i32.const 1))))
    (i32.const 0))
)
