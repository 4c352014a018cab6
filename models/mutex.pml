// mirrors assembly/mutex.ts: mutexTry, acquired, takeOver, mutexStep, mutexLock, mutexGiveUp,
// mutexUnlock, mutexConsistent, mutexOnDeath (with threads.ts markDead / isAlive)
//
// Three processes each lock and unlock the robust mutex twice. A holder may die inside the
// critical section (at most MAXDEATHS deaths): markDead, then the death hook; the next
// locker takes over with OWNER_DEAD and either calls consistent() or unlocks without it
// (the mutex is then NOT_RECOVERABLE and later locks fail). At most MAXTIMEOUTS waits
// time out (a parked timeout, or the deadline found expired after a wake), which runs
// mutexGiveUp. Each atomic op of the AssemblyScript is one Promela step (an atomic block
// holding that one shared access and the local decisions that follow it). The spinWhile
// before the first park only re-reads the word and is left out (the mutexTry after it is
// the first mutexTry taken later: a failed try has no effect).
//
// Checks:
//   - mutual exclusion among living holders; the lock word names the holder
//   - E_OWNER_DEAD only when the previous owner is dead
//   - no lock is granted (OK / E_OWNER_DEAD) once the mutex is NOT_RECOVERABLE
//   - no lost wake-up / deadlock: every process is bounded, so a process left parked when
//     the others have finished is an invalid end state
//
// Two former bugs are covered by every run (a holder may die at any point of the others;
// NOT_RECOVERABLE is asserted in the critical section):
//   death race (waiter saw the owner alive, parks after the death hook): fixed, the hook
//     CASes the word to tid<<2|OWNER_DIED before waking, so that park returns at once.
//   NR race (a locker CASes the word freed by an unrecoverable unlock): fixed, acquired()
//     re-reads the robust word after the CAS and lets go with E_NOT_RECOVERABLE.
//
// The two-deaths run lets a second holder die too (e.g. one that took over from the first).
//
// run: safety cc=-DSAFETY
// run: two-deaths spin=-DMAXDEATHS=2 cc=-DSAFETY
// mutant: BUG_NO_CONTENDED mutexStep parks without setting the contended bit
// mutant: BUG_RELOCK_LOCKED a woken waiter re-locks with |1 instead of |2
// mutant: BUG_GIVEUP_NO_WAKE mutexGiveUp does not pass the wake on
// mutant: BUG_DEATH_NO_WAKE mutexOnDeath marks the word but wakes nobody
// mutant: BUG_DEATH_KEEPS_WORD mutexOnDeath wakes all but leaves the word unchanged (the old death race)
// mutant: BUG_NO_NR_RECHECK acquired() does not re-read the robust word after the CAS (the old NR race)
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
#define OWNER_DIED 3              /* set by the death hook */
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

/* memory.atomic.wait32(A, EXPECTED): NOT_EQUAL at once if the word differs, else park
 * until a notify picks this process, or (budget left) time out. */
inline park(A, WORD, EXPECTED) {
  atomic {
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

next:
  if :: iter == ITERS -> goto done :: else -> skip fi;

  /* ---- mutexLock: mutexTry ---- */
  atomic { if :: robust == NOT_RECOVERABLE -> rc = E_NOT_RECOVERABLE; goto locked :: else -> skip fi }
#ifdef BUG_TRY_NOT_ATOMIC
  v = lockw;
  if :: v == 0 -> lockw = me * 4 + LOCKED; goto acquired :: else -> skip fi;
#else
  atomic {   /* CAS 0 -> me|1 */
    v = lockw;
    if :: v == 0 -> lockw = me * 4 + LOCKED; goto acquired :: else -> skip fi
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
  atomic { if :: !alive[OWNER(v)] -> goto step_takeover :: else -> skip fi }
#ifdef BUG_NO_CONTENDED
  wv = v; goto parking;
#else
  atomic { if :: (v & 3) != LOCKED -> wv = (v & 252) | CONTENDED; goto parking :: else -> skip fi }
  atomic {   /* CAS v -> v|2 */
    if
    :: lockw == v -> lockw = (v & 252) | CONTENDED; wv = lockw; goto parking
    :: else -> goto step
    fi
  }
#endif
step_free:   /* CAS 0 -> me|2: a thread that waited may not be the only one */
  atomic {
    if
#ifdef BUG_RELOCK_LOCKED
    :: lockw == 0 -> lockw = me * 4 + LOCKED; goto acquired
#else
    :: lockw == 0 -> lockw = me * 4 + CONTENDED; goto acquired
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
  goto locked;

  /* ---- acquired(m): we hold the word; refuse it if the mutex is NOT_RECOVERABLE ---- */
acquired:
#ifdef BUG_NO_NR_RECHECK
  rc = OK;
#else
  atomic { if :: robust != NOT_RECOVERABLE -> rc = OK; goto locked :: else -> skip fi }
  lockw = 0;
  wake_all(A_LOCK);
  rc = E_NOT_RECOVERABLE;
#endif

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
    assert(robust != NOT_RECOVERABLE);
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
  :: atomic { deaths < MAXDEATHS ->
       /* die holding the lock. thread_exit: markDead, then the death hooks */
       incs--; deaths++; alive[me] = 0 }
     /* ---- mutexOnDeath(m, me) ---- */
#ifdef BUG_DEATH_KEEPS_WORD
     atomic { if :: OWNER(lockw) == me -> wake_all(A_LOCK) :: else -> skip fi };
#else
     v = lockw;
death_cas:   /* while (v != 0 && ownerOf(v) == tid): CAS v -> tid|OWNER_DIED, on success wake all */
     atomic {
       if
       :: v != 0 && OWNER(v) == me ->
          if
          :: lockw == v -> lockw = me * 4 + OWNER_DIED
          :: else -> v = lockw; goto death_cas
          fi
       :: else -> goto done
       fi
     }
#ifndef BUG_DEATH_NO_WAKE
     wake_all(A_LOCK);
#endif
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
