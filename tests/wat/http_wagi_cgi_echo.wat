;; A WAGI (WASI command) guest whose CGI output is exactly its stdin: the request body decides
;; the headers, status and body the executor must make of it.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  ;; iovec at 0 (read) and 16 (write); counts at 8 and 24; buffer at 65536 (64 KiB)
  (func (export "_start")
    (local $n i32) (local $at i32)
    (block $eof
      (loop $more
        (i32.store (i32.const 0) (i32.const 65536))
        (i32.store (i32.const 4) (i32.const 65536))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)))
        (local.set $n (i32.load (i32.const 8)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $at (i32.const 65536))
        (block $written
          (loop $write
            (br_if $written (i32.le_s (local.get $n) (i32.const 0)))
            (i32.store (i32.const 16) (local.get $at))
            (i32.store (i32.const 20) (local.get $n))
            (if (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))
              (then unreachable))
            (local.set $at (i32.add (local.get $at) (i32.load (i32.const 24))))
            (local.set $n (i32.sub (local.get $n) (i32.load (i32.const 24))))
            (br $write)))
        (br $more))))
)
