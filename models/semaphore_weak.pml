// mirrors assembly/semaphore.ts (weak kind): weakTry, weakRegister, weakStep, weakGiveUp,
// release (weak branch), acquire (weak branch)
//
// max = 2 permits, all free at first. Process 0 acquires 2 and releases 2, process 1
// acquires 1 and releases 1, twice each; process 2 acquires 2, releases 1 and keeps the
// other (so a waiter may legitimately stay blocked for good). At most MAXTIMEOUTS waits
// time out (a parked timeout, or the deadline found expired after a wake or a not-equal
// return), which runs the last weakTry and weakGiveUp. Each atomic op is one step; the
// spinWhile + weakTry before registering only re-reads and is left out (a failed weakTry
// has no effect).
//
// Checks:
//   - 0 <= count <= max, and count + permits held == max (no permit made or lost)
//   - no lost wake-up: when nothing can move any more (the Monitor's `timeout`), no
//     process is parked while the free permits would satisfy it (the park carries an end
//     label: parking for good is allowed when the permits do not suffice)
//
// Note: weakGiveUp's pass-on wake is not needed within these bounds: -DBUG_GIVEUP_NO_WAKE
// (drop it) finds no error, also with MAXTIMEOUTS=3. A release wakes n, or all when a big
// waiter is registered, so a wake consumed by a waiter that then times out was either
// not needed by anyone else or went with a wake-all.
//
// run: safety cc=-DSAFETY
// mutant: BUG_WAKE_N_ONLY release always wakes n waiters, also when big waiters wait
// mutant: BUG_NO_REGISTER waiters never register (release sees no waiters)
// mutant: BUG_STEP_NOT_ATOMIC weakStep takes permits with a load and a store, no CAS

#define N 3
#define ITERS 2
#define MAX 2
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 2
#endif

#define A_COUNT 1

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

byte count = MAX;
byte waiters = 0;
byte big = 0;
byte held = 0;                    /* permits held by the processes (ghost) */
byte need[N];                     /* what each process is acquiring (for the Monitor) */
byte waitq[N];
byte timeouts = MAXTIMEOUTS;

#define INVARIANT assert(count <= MAX && count + held == MAX)

inline park(A, WORD, EXPECTED) {
  atomic {
    if
    :: (WORD) != (EXPECTED) -> r = NOT_EQUAL
    :: else -> waitq[_pid] = A; r = WAITED
    fi
  }
  if
  :: r == WAITED ->
end_parked:
     if
     :: waitq[_pid] == 0 -> skip
     :: atomic { timeouts > 0 && waitq[_pid] != 0 -> waitq[_pid] = 0; timeouts--; r = TIMED_OUT }
     fi
  :: else -> skip
  fi
}

/* atomic.notify(A, K): wake up to K parked waiters, any of them */
inline wake(A, K) {
  atomic {
    k = K;
    do
    :: k == 0 -> break
    :: k > 0 && waitq[0] == A -> waitq[0] = 0; k--
    :: k > 0 && waitq[1] == A -> waitq[1] = 0; k--
    :: k > 0 && waitq[2] == A -> waitq[2] = 0; k--
    :: else -> break
    od;
    k = 0
  }
}

/* weakTry(obj, n): sets got */
inline weakTry() {
  c = count;
  do
  :: atomic {
       if
       :: c < n -> got = 0; break
       :: c >= n && count == c -> count = c - n; held = held + n; got = 1; INVARIANT; break
       :: else -> c = count            /* the CAS failed: it returned the current value */
       fi
     }
  od;
  c = 0
}

/* weakRegister(obj, n, delta) */
inline weakRegister(DELTA) {
#ifndef BUG_NO_REGISTER
  waiters = waiters + DELTA;
  if :: n > 1 -> big = big + DELTA :: else -> skip fi
#else
  skip
#endif
}

/* weakGiveUp(obj, n) */
inline weakGiveUp() {
  weakRegister(-1);
#ifndef BUG_GIVEUP_NO_WAKE
  atomic { if :: count > 0 -> wake(A_COUNT, 1) :: else -> skip fi }
#endif
}

/* release(obj, n), weak branch */
inline release() {
  c = count;
  do
  :: atomic {
       if
       :: n > MAX - c -> assert(false)          /* E_INVAL: cannot happen, we release what we hold */
       :: count == c -> count = c + n; held = held - n; INVARIANT; break
       :: else -> c = count
       fi
     }
  od;
  c = 0;
  atomic {
    if
    :: waiters > 0 ->
#ifdef BUG_WAKE_N_ONLY
       wake(A_COUNT, n)
#else
       if :: big > 0 -> wake(A_COUNT, N) :: else -> wake(A_COUNT, n) fi  /* load big, notify */
#endif
    :: else -> skip
    fi
  }
}

active [N] proctype P() {
  byte n = (_pid == 1 -> 1 : 2);
  byte c, r, k, iter = 0;
  bool got;

  need[_pid] = n;
  do
  :: iter == ITERS || (_pid == 2 && iter == 1) -> break
  :: else ->
     /* ---- acquire(obj, n, deadline) ---- */
     weakTry();
     if
     :: got -> goto acquired
     :: else -> skip
     fi;
     weakRegister(1);
     do
     :: /* weakStep: while (true) */
        do
        :: atomic {
             c = count;
             if
             :: c < n -> break             /* armWait(count, c) */
             :: else -> skip
             fi
           }
#ifdef BUG_STEP_NOT_ATOMIC
           count = count - n; held = held + n; INVARIANT; got = 1; break
#else
           atomic {   /* CAS c -> c - n */
             if
             :: count == c -> count = c - n; held = held + n; INVARIANT; got = 1; break
             :: else -> skip
             fi
           }
#endif
        od;
        if
        :: got -> weakRegister(-1); break
        :: else -> skip
        fi;
        park(A_COUNT, count, c);
        c = 0;
        if
        :: r == TIMED_OUT -> skip
        :: atomic { r != TIMED_OUT && timeouts > 0 -> timeouts-- }   /* expired(deadline) */
        :: r != TIMED_OUT -> goto again
        fi;
        r = 0;
        weakTry();
        if
        :: got -> weakRegister(-1)
        :: else -> weakGiveUp()
        fi;
        break;
again:
        r = 0
     od;
acquired:
     if
     :: got ->
        got = 0;
        /* hold the permits, then release them (process 2: release one, keep one) */
        if :: _pid == 2 -> n = 1 :: else -> skip fi;
        release()
     :: else -> skip                        /* E_TIMEOUT */
     fi;
     iter++
  od
}

/* At a final state (nothing can move), nobody is parked while it could take its permits. */
active proctype Monitor() {
  timeout ->
  assert((waitq[0] != A_COUNT || need[0] > count) &&
         (waitq[1] != A_COUNT || need[1] > count) &&
         (waitq[2] != A_COUNT || need[2] > count))
}
