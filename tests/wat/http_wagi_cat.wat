;; A WAGI (WASI command) guest that answers with the file named by its second argument (the
;; query string, with argv "${SCRIPT_NAME} ${ARGS}"), opened relative to its first preopened
;; directory (fd 3). A file it cannot open answers "Status: 404".
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "Content-Type: text/plain\n\n")                         ;; 26
  (data (i32.const 512) "Status: 404 Not Found\nContent-Type: text/plain\n\nnot found\n")  ;; 58

  (func $write_all (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.le_s (local.get $len) (i32.const 0)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
          (then unreachable))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  (func (export "_start")
    (local $path i32) (local $len i32) (local $n i32)
    ;; argv pointers at 1024, strings at 4096
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (if (i32.lt_u (i32.load (i32.const 16)) (i32.const 2))
      (then (call $write_all (i32.const 512) (i32.const 58)) (return)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (local.set $path (i32.load (i32.const 1028)))
    (block $end
      (loop $scan
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $path) (local.get $len)))))
        (local.set $len (i32.add (local.get $len) (i32.const 1)))
        (br $scan)))
    ;; open it for reading (right fd_read = 2); the new fd goes to 32
    (if (call $path_open (i32.const 3) (i32.const 0) (local.get $path) (local.get $len)
          (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 32))
      (then (call $write_all (i32.const 512) (i32.const 58)) (return)))
    (call $write_all (i32.const 256) (i32.const 26))
    (block $eof
      (loop $more
        (i32.store (i32.const 40) (i32.const 65536))
        (i32.store (i32.const 44) (i32.const 65536))
        (br_if $eof
          (call $fd_read (i32.load (i32.const 32)) (i32.const 40) (i32.const 1) (i32.const 48)))
        (local.set $n (i32.load (i32.const 48)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write_all (i32.const 65536) (local.get $n))
        (br $more))))
)
