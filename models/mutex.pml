// mirrors assembly/mutex.ts: mutexTry, takeOver, mutexStep, mutexLock, mutexGiveUp,
// mutexUnlock, mutexConsistent, mutexOnDeath (with threads.ts markDead / isAlive)
//
// Three processes each lock and unlock the robust mutex twice. A holder may die inside the
// critical section (at most MAXDEATHS deaths): markDead, then the death hook; the next
// locker takes over with OWNER_DEAD and either calls consistent() or unlocks without it
// (the mutex is then NOT_RECOVERABLE and later locks fail). At most MAXTIMEOUTS waits
// time out (a parked timeout, or the deadline found expired after a wake), which runs
// mutexGiveUp. Each atomic op of the AssemblyScript is one Promela step (an atomic block
// holding that one shared access and the local decisions that follow it). The spinWhile
// before the first park only re-reads the word and is left out.
//
// Checks:
//   - mutual exclusion among living holders; the lock word names the holder
//   - E_OWNER_DEAD only when the previous owner is dead
//   - no lost wake-up / deadlock: every process is bounded, so a process left parked when
//     the others have finished is an invalid end state
//
// Known bugs (runs marked expect=error reproduce them; see the report):
//   DEATH_RACE: mutexOnDeath wakes the waiters but leaves the lock word as it was. A waiter
//     that saw the owner alive in mutexStep and parks after the death hook ran parks on an
//     unchanged word that nobody will ever change or notify: stuck forever. The main run
//     lets a holder die only while no waiter is between that isAlive check and its park.
//   NR_RACE: mutexTry reads the robust word, then CASes the lock word. An unlock without
//     consistent() in between (robust := NOT_RECOVERABLE, lock := 0) lets that locker take
//     the lock with OK although the mutex is already NOT_RECOVERABLE.
//
// run: safety cc=-DSAFETY
// run: death-race spin=-DDEATH_RACE cc=-DSAFETY expect=error
// run: nr-race spin=-DNR_RACE cc=-DSAFETY expect=error
// mutant: BUG_NO_CONTENDED mutexStep parks without setting the contended bit
// mutant: BUG_RELOCK_LOCKED a woken waiter re-locks with |1 instead of |2
// mutant: BUG_GIVEUP_NO_WAKE mutexGiveUp does not pass the wake on
// mutant: BUG_DEATH_NO_WAKE mutexOnDeath wakes nobody
// mutant: BUG_UNLOCK_NO_WAKE unlock of a contended lock wakes nobody
// mutant: BUG_TRY_NOT_ATOMIC mutexTry loads the word, then stores me|1 (no CAS)

#define N 3
#define ITERS 2
#ifndef MAXDEATHS
#define MAXDEATHS 1
#endif
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 1
#endif

#define A_LOCK 1                  /* futex address ids */

/* lock word: owner tid << 2 | LOCKED or CONTENDED; tids are 1..N */
#define LOCKED 1
#define CONTENDED 2
#define OWNER(w) ((w) / 4)

/* robust word */
#define CONSISTENT 0
#define INCONSISTENT 1
#define NOT_RECOVERABLE 2

/* status */
#define OK 0
#define E_AGAIN 1
#define E_TIMEOUT 2
#define E_OWNER_DEAD 3
#define E_NOT_RECOVERABLE 4

/* park results */
#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

byte lockw = 0;
byte robust = CONSISTENT;
bool alive[N + 1] = 1;            /* by tid (slot 0 unused) */
byte waitq[N];                    /* futex address each process is parked on, 0 = none */
byte incs = 0;                    /* living holders inside the critical section */
byte deaths = 0;
byte timeouts = MAXTIMEOUTS;      /* timed-out waits left, all processes together */

byte window = 0;                  /* waiters between isAlive(owner) in mutexStep and park */
#ifdef DEATH_RACE
#define DEATH_ALLOWED true
#else
#define DEATH_ALLOWED (window == 0)
#endif
#define WINDOW_OPEN inwin = 1; window++
#define WINDOW_CLOSE if :: inwin -> inwin = 0; window-- :: else -> skip fi

/* memory.atomic.wait32(A, EXPECTED): NOT_EQUAL at once if the word differs, else park
 * until a notify picks this process, or (budget left) time out. */
inline park(A, WORD, EXPECTED) {
  atomic {
    WINDOW_CLOSE;
    if
    :: (WORD) != (EXPECTED) -> r = NOT_EQUAL
    :: else -> waitq[_pid] = A; r = WAITED
    fi
  }
  if
  :: r == WAITED ->
     if
     :: waitq[_pid] == 0 -> skip
     :: atomic { timeouts > 0 && waitq[_pid] != 0 -> waitq[_pid] = 0; timeouts--; r = TIMED_OUT }
     fi
  :: else -> skip
  fi
}

/* atomic.notify(A, 1): wake one parked waiter, any of them */
inline wake_one(A) {
  atomic {
    if
    :: waitq[0] == A -> waitq[0] = 0
    :: waitq[1] == A -> waitq[1] = 0
    :: waitq[2] == A -> waitq[2] = 0
    :: else -> skip
    fi
  }
}

/* atomic.notify(A, i32.MAX_VALUE) */
inline wake_all(A) {
  d_step {
    if :: waitq[0] == A -> waitq[0] = 0 :: else -> skip fi;
    if :: waitq[1] == A -> waitq[1] = 0 :: else -> skip fi;
    if :: waitq[2] == A -> waitq[2] = 0 :: else -> skip fi
  }
}

active [N] proctype P() {
  byte me = _pid + 1;
  byte v, wv, rc, r, prev;
  byte iter = 0;
  bool inwin;

next:
  if :: iter == ITERS -> goto done :: else -> skip fi;

  /* ---- mutexLock: mutexTry ---- */
  atomic { if :: robust == NOT_RECOVERABLE -> rc = E_NOT_RECOVERABLE; goto locked :: else -> skip fi }
#ifdef BUG_TRY_NOT_ATOMIC
  v = lockw;
  if :: v == 0 -> lockw = me * 4 + LOCKED; rc = OK; goto locked :: else -> skip fi;
#else
  atomic {   /* CAS 0 -> me|1 */
    v = lockw;
    if :: v == 0 -> lockw = me * 4 + LOCKED; rc = OK; goto locked :: else -> skip fi
  }
#endif
  atomic { if :: alive[OWNER(v)] -> goto step :: else -> skip fi }
  /* takeOver(m, v); on E_AGAIN mutexLock goes on to mutexStep */
  atomic {
    if
    :: lockw == v -> lockw = me * 4 + CONTENDED; prev = OWNER(v); rc = E_OWNER_DEAD
    :: else -> goto step
    fi
  }
  robust = INCONSISTENT;
  goto locked;

  /* ---- mutexStep: while (true) ---- */
step:
  atomic { if :: robust == NOT_RECOVERABLE -> rc = E_NOT_RECOVERABLE; goto locked :: else -> skip fi }
  atomic {
    v = lockw;
    if :: v == 0 -> goto step_free :: else -> skip fi
  }
  atomic {
    if
    :: !alive[OWNER(v)] -> goto step_takeover
    :: else -> WINDOW_OPEN
    fi
  }
#ifdef BUG_NO_CONTENDED
  wv = v; goto parking;
#else
  atomic { if :: (v & 3) != LOCKED -> wv = v; goto parking :: else -> skip fi }
  atomic {   /* CAS v -> v|2 */
    if
    :: lockw == v -> lockw = (v & 252) | CONTENDED; wv = lockw; goto parking
    :: else -> WINDOW_CLOSE; goto step
    fi
  }
#endif
step_free:   /* CAS 0 -> me|2: a thread that waited may not be the only one */
  atomic {
    if
#ifdef BUG_RELOCK_LOCKED
    :: lockw == 0 -> lockw = me * 4 + LOCKED; rc = OK; goto locked
#else
    :: lockw == 0 -> lockw = me * 4 + CONTENDED; rc = OK; goto locked
#endif
    :: else -> goto step
    fi
  }
step_takeover:   /* takeOver(m, v) */
  atomic {
    if
    :: lockw == v -> lockw = me * 4 + CONTENDED; prev = OWNER(v); rc = E_OWNER_DEAD
    :: else -> goto step
    fi
  }
  robust = INCONSISTENT;
  goto locked;

  /* ---- mutexLock: park(m, wait_value(), deadline) ---- */
parking:
  park(A_LOCK, lockw, wv);
  if
  :: r == TIMED_OUT -> skip
  :: atomic { r != TIMED_OUT && timeouts > 0 -> timeouts-- }   /* expired(deadline) */
  :: r != TIMED_OUT -> goto step
  fi;
  /* mutexGiveUp */
  {
#ifndef BUG_GIVEUP_NO_WAKE
     wake_one(A_LOCK);
#endif
     rc = E_TIMEOUT
  };

locked:
  v = 0; wv = 0; r = 0;   /* dead locals (keeps the state space small) */
  if
  :: rc == E_TIMEOUT -> goto again
  :: rc == E_NOT_RECOVERABLE -> goto done
  :: rc == OK || rc == E_OWNER_DEAD -> skip
  fi;

  /* ---- critical section ---- */
  atomic {
    incs++;
    assert(incs == 1);
    assert(OWNER(lockw) == me);
    assert(rc != E_OWNER_DEAD || !alive[prev]);
#ifdef NR_RACE
    assert(robust != NOT_RECOVERABLE);
#endif
    prev = 0
  }
  if
  :: rc == E_OWNER_DEAD ->
     if
     :: robust = CONSISTENT          /* mutexConsistent */
     :: skip                         /* unlock without it: NOT_RECOVERABLE */
     fi
  :: else -> skip
  fi;
  if
  :: atomic { deaths < MAXDEATHS && DEATH_ALLOWED ->
       /* die holding the lock. thread_exit: markDead, then the death hooks */
       incs--; deaths++; alive[me] = 0 }
#ifndef BUG_DEATH_NO_WAKE
     atomic { if :: OWNER(lockw) == me -> wake_all(A_LOCK) :: else -> skip fi }   /* mutexOnDeath */
#endif
     goto done
  :: true -> skip
  fi;
  incs--;

  /* ---- mutexUnlock ---- */
  atomic { if :: robust == INCONSISTENT -> rc = E_NOT_RECOVERABLE :: else -> rc = OK fi }
  if
  :: rc == E_NOT_RECOVERABLE ->
     robust = NOT_RECOVERABLE;
     lockw = 0;
     wake_all(A_LOCK)
  :: else ->
     atomic { v = lockw; lockw = 0 }
#ifndef BUG_UNLOCK_NO_WAKE
     atomic { if :: (v & CONTENDED) != 0 -> wake_one(A_LOCK) :: else -> skip fi }
#endif
  fi;
  v = 0; rc = 0;

again:
  iter++;
  goto next;
done:
  skip
}
