;; A WAGI (WASI command) guest that writes CGI headers and then an endless body to stdout, in
;; 64 KiB pieces, ignoring write errors.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "Content-Type: text/plain\n\n")  ;; 26

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func (export "_start")
    (call $write (i32.const 256) (i32.const 26))
    (memory.fill (i32.const 65536) (i32.const 0x78) (i32.const 65536))
    (loop $more
      (call $write (i32.const 65536) (i32.const 65536))
      (br $more)))
)
