;; The demo's HTTP component (Spin 1.x ABI): a plain-text page with the last lines the timer
;; component (ticker) and the Redis component (echo) printed.
;;
;; It reads them from their stdout log files. The manifest mounts the app's log directory,
;; `.spin/logs`, read-only at /logs; it is this guest's only mount, so WASI gives it fd 3. Every
;; executor of the app (timer, Redis, HTTP: three processes) appends its components' output
;; there, so this page shows what the other two triggers did.
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_filestat_get"
    (func $fd_filestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_pread"
    (func $fd_pread (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 1)

  ;; Scratch: an iovec at 0, a byte count at 8, an opened fd at 12, a filestat at 64 (its
  ;; size at 96). Texts from 256. The response record at 1024, its one header at 1056.
  ;; The heap (the request, then the response body) starts at 4096.
  (data (i32.const 256) "content-type")
  (data (i32.const 272) "text/plain; charset=utf-8")
  (data (i32.const 304) "ticker_stdout.txt")
  (data (i32.const 336) "echo_stdout.txt")
  (data (i32.const 384) "Spin demo: one app, three triggers.\n\nThe timer component (ticker) printed, latest last:\n")
  (data (i32.const 512) "\nThe Redis component (echo) printed, latest last:\n")
  (data (i32.const 576) "(nothing yet)\n")
  (global $next (mut i32) (i32.const 4096))
  (global $body_end (mut i32) (i32.const 0))

  ;; Make sure memory reaches `end`.
  (func $reserve (param $end i32)
    (if (i32.gt_u (local.get $end) (i32.shl (memory.size) (i32.const 16)))
      (then
        (if (i32.eq (i32.const -1)
              (memory.grow
                (i32.add (i32.const 1)
                  (i32.shr_u (i32.sub (local.get $end) (i32.shl (memory.size) (i32.const 16)))
                             (i32.const 16)))))
          (then unreachable)))))

  ;; The host copies the request in through this allocator. Each request gets a fresh
  ;; instance, so a bump allocator that never frees is enough.
  (func (export "canonical_abi_realloc")
    (param $old_ptr i32) (param $old_size i32) (param $align i32) (param $size i32)
    (result i32)
    (local $ptr i32)
    (local.set $ptr
      (i32.and (i32.add (global.get $next) (i32.sub (local.get $align) (i32.const 1)))
               (i32.sub (i32.const 0) (local.get $align))))
    (global.set $next (i32.add (local.get $ptr) (local.get $size)))
    (call $reserve (global.get $next))
    (local.get $ptr))
  (func (export "canonical_abi_free") (param i32 i32 i32))

  ;; Add `len` bytes at `src` to the body.
  (func $append (param $src i32) (param $len i32)
    (call $reserve (i32.add (global.get $body_end) (local.get $len)))
    (memory.copy (global.get $body_end) (local.get $src) (local.get $len))
    (global.set $body_end (i32.add (global.get $body_end) (local.get $len))))

  ;; Add the last whole lines of the log file `name` (at most `max` bytes) to the body, or
  ;; "(nothing yet)" if it does not exist or is empty.
  (func $append_tail (param $name i32) (param $name_len i32) (param $max i32)
    (local $fd i32) (local $size i64) (local $offset i64) (local $start i32) (local $got i32)
    (local $skip i32)
    ;; rights: fd_read (1<<1), fd_seek (1<<2), fd_filestat_get (1<<21); read-only.
    (if (call $path_open (i32.const 3) (i32.const 0) (local.get $name) (local.get $name_len)
          (i32.const 0) (i64.const 0x200006) (i64.const 0) (i32.const 0) (i32.const 12))
      (then (call $append (i32.const 576) (i32.const 14)) (return)))
    (local.set $fd (i32.load (i32.const 12)))
    (if (i32.eqz (call $fd_filestat_get (local.get $fd) (i32.const 64)))
      (then (local.set $size (i64.load (i32.const 96)))))
    (if (i64.gt_u (local.get $size) (i64.extend_i32_u (local.get $max)))
      (then (local.set $offset
              (i64.sub (local.get $size) (i64.extend_i32_u (local.get $max))))))
    (local.set $start (global.get $body_end))
    (call $reserve (i32.add (local.get $start) (local.get $max)))
    ;; fd_pread may return fewer bytes than asked: read until `max` bytes or the end.
    (block $end
      (loop $more
        (br_if $end (i32.ge_u (local.get $got) (local.get $max)))
        (i32.store (i32.const 0) (i32.add (local.get $start) (local.get $got)))
        (i32.store (i32.const 4) (i32.sub (local.get $max) (local.get $got)))
        (br_if $end
          (call $fd_pread (local.get $fd) (i32.const 0) (i32.const 1)
            (i64.add (local.get $offset) (i64.extend_i32_u (local.get $got))) (i32.const 8)))
        (br_if $end (i32.eqz (i32.load (i32.const 8))))
        (local.set $got (i32.add (local.get $got) (i32.load (i32.const 8))))
        (br $more)))
    (drop (call $fd_close (local.get $fd)))
    ;; Reading started mid-file: drop the partial first line (up to its newline).
    (if (i64.gt_u (local.get $offset) (i64.const 0))
      (then
        (block $found
          (loop $scan
            (br_if $found (i32.ge_u (local.get $skip) (local.get $got)))
            (local.set $skip (i32.add (local.get $skip) (i32.const 1)))
            (br_if $found
              (i32.eq (i32.const 10)
                (i32.load8_u (i32.add (local.get $start) (i32.sub (local.get $skip) (i32.const 1))))))
            (br $scan)))
        (local.set $got (i32.sub (local.get $got) (local.get $skip)))
        (memory.copy (local.get $start) (i32.add (local.get $start) (local.get $skip))
          (local.get $got))))
    (if (i32.eqz (local.get $got))
      (then (call $append (i32.const 576) (i32.const 14)) (return)))
    (global.set $body_end (i32.add (local.get $start) (local.get $got))))

  (func (export "handle-http-request")
    (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (local $body i32)
    (global.set $body_end (global.get $next))
    (local.set $body (global.get $body_end))
    (call $append (i32.const 384) (i32.const 88))
    (call $append_tail (i32.const 304) (i32.const 17) (i32.const 200))
    (call $append (i32.const 512) (i32.const 50))
    (call $append_tail (i32.const 336) (i32.const 15) (i32.const 600))
    ;; response: status 200, headers [(content-type, text/plain)], body
    (i32.store16 (i32.const 1024) (i32.const 200))
    (i32.store8 (i32.const 1028) (i32.const 1))
    (i32.store (i32.const 1032) (i32.const 1056))
    (i32.store (i32.const 1036) (i32.const 1))
    (i32.store8 (i32.const 1040) (i32.const 1))
    (i32.store (i32.const 1044) (local.get $body))
    (i32.store (i32.const 1048) (i32.sub (global.get $body_end) (local.get $body)))
    (i32.store (i32.const 1056) (i32.const 256))
    (i32.store (i32.const 1060) (i32.const 12))
    (i32.store (i32.const 1064) (i32.const 272))
    (i32.store (i32.const 1068) (i32.const 25))
    (i32.const 1024)))
