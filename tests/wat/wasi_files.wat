;; A WASI command that reads or writes a file relative to the first preopened directory
;; (file descriptor 3). argv: [name, relative path] reads the file and prints its contents;
;; [name, relative path, "w"] writes "written by the guest" into it and prints "written".
;; On failure it prints "error <errno>".
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 256) "error ")
  (data (i32.const 272) "written")
  (data (i32.const 288) "written by the guest")

  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $strlen (param $ptr i32) (result i32)
    (local $n i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (i32.add (local.get $ptr) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $n))

  ;; print "error <errno>" (errno < 100)
  (func $fail (param $errno i32)
    (call $print (i32.const 256) (i32.const 6))
    (i32.store8 (i32.const 300)
      (i32.add (i32.const 48) (i32.div_u (local.get $errno) (i32.const 10))))
    (i32.store8 (i32.const 301)
      (i32.add (i32.const 48) (i32.rem_u (local.get $errno) (i32.const 10))))
    (call $print (i32.const 300) (i32.const 2)))

  (func (export "_start")
    (local $path i32) (local $errno i32) (local $writing i32) (local $n i32)
    (drop (call $args_sizes_get (i32.const 16) (i32.const 20)))
    (drop (call $args_get (i32.const 1024) (i32.const 4096)))
    (local.set $path (i32.load (i32.const 1028)))
    (local.set $writing (i32.gt_u (i32.load (i32.const 16)) (i32.const 2)))
    (local.set $errno
      (call $path_open (i32.const 3) (i32.const 1) (local.get $path)
        (call $strlen (local.get $path))
        (select (i32.const 9) (i32.const 0) (local.get $writing))   ;; O_CREAT|O_TRUNC
        (select (i64.const 64) (i64.const 2) (local.get $writing))  ;; fd_write / fd_read
        (i64.const 0) (i32.const 0) (i32.const 24)))
    (if (local.get $errno) (then (call $fail (local.get $errno)) (return)))
    (if (local.get $writing)
      (then
        (i32.store (i32.const 32) (i32.const 288))
        (i32.store (i32.const 36) (i32.const 20))
        (local.set $errno
          (call $fd_write (i32.load (i32.const 24)) (i32.const 32) (i32.const 1) (i32.const 40)))
        (if (local.get $errno) (then (call $fail (local.get $errno)) (return)))
        (call $print (i32.const 272) (i32.const 7))
        (return)))
    (i32.store (i32.const 32) (i32.const 8192))
    (i32.store (i32.const 36) (i32.const 4096))
    (local.set $errno
      (call $fd_read (i32.load (i32.const 24)) (i32.const 32) (i32.const 1) (i32.const 40)))
    (if (local.get $errno) (then (call $fail (local.get $errno)) (return)))
    (call $print (i32.const 8192) (i32.load (i32.const 40))))
)
