;; A WASI preview 1 command (WAGI guest). It writes a CGI response to stdout:
;;   Content-Type: text/plain, a blank line, "hello from wagi", then
;;   "args:" and each argument on its own line, "env:" and each KEY=VALUE on its own line,
;;   "stdin:" and whatever it read from stdin.
;; It also writes "wagi stderr line" to stderr.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "Content-Type: text/plain\n\nhello from wagi\nargs:\n")  ;; 48
  (data (i32.const 320) "env:\n")     ;; 5
  (data (i32.const 336) "stdin:\n")   ;; 7
  (data (i32.const 352) "wagi stderr line\n")  ;; 17

  ;; Write all of [ptr, ptr+len) to fd, looping on short writes.
  (func $write_all (param $fd i32) (param $ptr i32) (param $len i32)
    (block $done
      (loop $more
        (br_if $done (i32.le_s (local.get $len) (i32.const 0)))
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (if (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))
          (then unreachable))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 8))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 8))))
        (br $more))))

  ;; Turn the NUL terminators of a block of C strings into newlines, then print it.
  (func $print_block (param $ptr i32) (param $len i32)
    (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.eqz (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
          (then (i32.store8 (i32.add (local.get $ptr) (local.get $i)) (i32.const 10))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (call $write_all (i32.const 1) (local.get $ptr) (local.get $len)))

  (func (export "_start")
    (local $n i32)
    (call $write_all (i32.const 2) (i32.const 352) (i32.const 17))
    (call $write_all (i32.const 1) (i32.const 256) (i32.const 48))
    ;; args: pointers at 1024, strings at 4096
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (call $print_block (i32.const 4096) (i32.load (i32.const 20)))
    (call $write_all (i32.const 1) (i32.const 320) (i32.const 5))
    ;; environment: pointers at 2048, strings at 16384
    (drop (call $environ_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $environ_get (i32.const 2048) (i32.const 16384)))
    (call $print_block (i32.const 16384) (i32.load (i32.const 20)))
    (call $write_all (i32.const 1) (i32.const 336) (i32.const 7))
    ;; stdin, up to 64 KiB at 65536
    (block $eof
      (loop $more
        (i32.store (i32.const 24) (i32.const 65536))
        (i32.store (i32.const 28) (i32.const 65536))
        (br_if $eof (call $fd_read (i32.const 0) (i32.const 24) (i32.const 1) (i32.const 32)))
        (local.set $n (i32.load (i32.const 32)))
        (br_if $eof (i32.eqz (local.get $n)))
        (call $write_all (i32.const 1) (i32.const 65536) (local.get $n))
        (br $more))))
)
