;; A Spin 1.x HTTP guest that answers with the contents of the file whose path (relative to its
;; first preopened directory, fd 3) is the request body: status 200 and the first 64 KiB of
;; the file, or status 404 and an empty body when the file cannot be opened or read.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 3)
  (global $heap (mut i32) (i32.const 4096))

  (func (export "canonical_abi_realloc")
    (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $ptr i32)
    (local.set $ptr
      (i32.and (i32.sub (i32.add (global.get $heap) (local.get $align)) (i32.const 1))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $ptr) (local.get $size)))
    (local.get $ptr))

  (func (export "canonical_abi_free") (param i32 i32 i32))

  ;; the response record at 256: status, no headers, then the body option
  (func $respond (param $status i32) (param $body i32) (param $len i32) (result i32)
    (i32.store16 (i32.const 256) (local.get $status))
    (i32.store8 (i32.const 260) (i32.const 0))
    (i32.store8 (i32.const 272) (i32.const 1))
    (i32.store (i32.const 276) (local.get $body))
    (i32.store (i32.const 280) (local.get $len))
    (i32.const 256))

  (func (export "handle-http-request")
    (param $method i32) (param $uri_ptr i32) (param $uri_len i32)
    (param $headers_ptr i32) (param $headers_len i32) (param $params_ptr i32)
    (param $params_len i32) (param $has_body i32) (param $body_ptr i32) (param $body_len i32)
    (result i32)
    ;; open the file for reading (right fd_read = 2); the new fd goes to 64
    (if (call $path_open (i32.const 3) (i32.const 1) (local.get $body_ptr)
          (local.get $body_len) (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0)
          (i32.const 64))
      (then (return (call $respond (i32.const 404) (i32.const 0) (i32.const 0)))))
    (i32.store (i32.const 72) (i32.const 65536))
    (i32.store (i32.const 76) (i32.const 65536))
    (if (call $fd_read (i32.load (i32.const 64)) (i32.const 72) (i32.const 1) (i32.const 80))
      (then (return (call $respond (i32.const 404) (i32.const 0) (i32.const 0)))))
    (call $respond (i32.const 200) (i32.const 65536) (i32.load (i32.const 80))))
)
