// mirrors assembly/condvar.ts: cvBegin, cvTake, cvEnd (timeout: take or unregister), cvWait,
// cvNotify; with assembly/mutex.ts: mutexTry, mutexStep, mutexLock, mutexUnlock (no owner
// death here: see mutex.pml). The async wait's abort (cvEnd passing a signal on) is not modelled.
//
// Producer/consumer with the predicate `items > 0`. Process 0 produces two items: lock,
// items++, notify one (before or after the unlock, either), unlock. Processes 1 and 2
// consume one item each: lock; while (items == 0) cvWait; items--; unlock. At most
// MAXTIMEOUTS cv waits time out; on E_TIMEOUT the consumer either gives up (unlock, leave
// without an item) or waits again. Each atomic op is one step; spin loops are left out.
//
// Checks:
//   - mutual exclusion on the mutex; items never below 0
//   - no lost wake-up / deadlock: every process is bounded, so a consumer left parked on
//     the condvar (or on the mutex) when the others are done is an invalid end state
//     (two items are produced, so a consumer still waiting has its predicate true): a
//     waiter whose predicate became true is woken, also when the other consumer timed out
//   - exactly one: a wait returns notified (OK) at most once per signal a notify gave
//     (oks <= signals), and the state word keeps signals <= waiters
//
// run: safety cc=-DSAFETY
// mutant: BUG_SEQ_AFTER_UNLOCK cvBegin reads seq after unlocking the mutex
// mutant: BUG_SEQ_AFTER_REGISTER cvBegin reads seq after registering (a notify after the unlock can be lost)
// mutant: BUG_NO_WAITERS cvBegin does not count itself as a waiter
// mutant: BUG_NOTIFY_NO_SEQ cvNotify wakes without bumping seq
// mutant: BUG_UNLOCK_NO_WAKE mutexUnlock of a contended lock wakes nobody
// mutant: BUG_WAKE_IS_NOTIFY a woken waiter returns notified without taking a signal (the old cv)
// mutant: BUG_TAKE_SEQ_LATE cvTake reads seq after its failed take
// mutant: BUG_END_TWO_STEPS a timed-out wait checks for a signal, then unregisters, in two steps

#define N 3
#define ITEMS 2
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 1
#endif

#define A_LOCK 1
#define A_SEQ 2

#define LOCKED 1
#define CONTENDED 2
#define OWNER(w) ((w) / 4)

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

byte lockw = 0;
byte seq = 0;                     /* cv +0 */
byte waiters = 0;                 /* cv +4, low 16 bits */
byte signals = 0;                 /* cv +4, high 16 bits */
byte given = 0;                   /* signals given by notifies, */
byte oks = 0;                     /* and waits that returned notified */
byte items = 0;
byte incs = 0;
byte waitq[N];
byte timeouts = MAXTIMEOUTS;

inline park(A, WORD, EXPECTED, TIMED) {
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
     :: atomic { TIMED && timeouts > 0 && waitq[_pid] != 0 -> waitq[_pid] = 0; timeouts--; r = TIMED_OUT }
     fi
  :: else -> skip
  fi
}

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

/* mutexLock(obj, m, -1): mutexTry, then mutexStep / park until acquired */
inline mutexLock() {
  atomic {   /* mutexTry: CAS 0 -> me|1 */
    if :: lockw == 0 -> lockw = me * 4 + LOCKED; ok = 1 :: else -> ok = 0 fi
  }
  do
  :: ok -> break
  :: else ->
     /* mutexStep */
     v = lockw;
     if
     :: v == 0 ->
        atomic { if :: lockw == 0 -> lockw = me * 4 + CONTENDED; ok = 1 :: else -> skip fi }
     :: v != 0 && (v & 3) == LOCKED ->
        atomic {
          if
          :: lockw == v -> lockw = (v & 252) | CONTENDED; wv = lockw; park_now = 1
          :: else -> skip
          fi
        }
     :: v != 0 && (v & 3) == CONTENDED -> wv = v; park_now = 1
     fi;
     if
     :: park_now -> park_now = 0; park(A_LOCK, lockw, wv, false); r = 0
     :: else -> skip
     fi;
     v = 0; wv = 0
  od;
  ok = 0;
  atomic { incs++; assert(incs == 1 && OWNER(lockw) == me) }
}

/* mutexUnlock(m), by the holder */
inline mutexUnlock() {
  incs--;
  atomic { v = lockw; lockw = 0 }
#ifndef BUG_UNLOCK_NO_WAKE
  atomic { if :: (v & CONTENDED) != 0 -> wake_one(A_LOCK) :: else -> skip fi }
#endif
  v = 0
}

#define INV assert(signals <= waiters)

/* cvWait(cvObj, cv, mutexObj, timeout): cvBegin, then park / cvTake until a signal or E_TIMEOUT */
inline cvWait() {
  /* cvBegin: the caller owns the mutex */
#if !defined(BUG_SEQ_AFTER_UNLOCK) && !defined(BUG_SEQ_AFTER_REGISTER)
  s = seq;
#endif
#ifndef BUG_NO_WAITERS
  atomic { waiters++; INV }
#endif
#ifdef BUG_SEQ_AFTER_REGISTER
  s = seq;
#endif
  mutexUnlock();
#ifdef BUG_SEQ_AFTER_UNLOCK
  s = seq;
#endif
  do
  :: park(A_SEQ, seq, s, true);
     if
     :: r == TIMED_OUT ->                  /* cvEnd(cv, false) */
#ifdef BUG_END_TWO_STEPS
        atomic { if :: signals > 0 -> signals--; waiters--; res = 1 :: else -> res = 0 fi };
        if :: res == 0 -> atomic { waiters--; INV } :: else -> skip fi;
#else
        atomic { if :: signals > 0 -> signals--; waiters--; res = 1 :: else -> waiters--; res = 0 fi; INV };
#endif
        break
     :: else ->                            /* cvTake */
#ifdef BUG_WAKE_IS_NOTIFY
        atomic { if :: signals > 0 -> signals-- :: else -> skip fi; waiters--; res = 1 };
        break
#else
#ifndef BUG_TAKE_SEQ_LATE
        s = seq;
#endif
        atomic { if :: signals > 0 -> signals--; waiters--; res = 1 :: else -> res = 2 fi; INV };
#ifdef BUG_TAKE_SEQ_LATE
        s = seq;
#endif
        if :: res == 1 -> break :: else -> skip fi
#endif
     fi
  od;
  r = 0; s = 0;
  atomic { if :: res == 1 -> oks++; assert(oks <= given) :: else -> skip fi }
  mutexLock();
  timedout = (res == 0); res = 0
}

/* cvNotify(cv, all = false): a signal if some waiter has none, then seq++ and wake one */
inline cvNotify() {
  atomic { if :: signals < waiters -> signals++; given++; res = 1 :: else -> res = 0 fi; INV };
  if
  :: res == 1 ->
#ifndef BUG_NOTIFY_NO_SEQ
     seq++;
#endif
     wake_one(A_SEQ)
  :: else -> skip
  fi;
  res = 0
}

active [N] proctype P() {
  byte me = _pid + 1;
  byte v, wv, r, s, res, k = 0;
  bool ok, park_now, timedout;

  if
  :: _pid == 0 ->                         /* producer */
     do
     :: k == ITEMS -> break
     :: else ->
        mutexLock();
        items++;
        if
        :: cvNotify(); mutexUnlock()      /* notify while holding the lock */
        :: mutexUnlock(); cvNotify()      /* or after the unlock */
        fi;
        k++
     od
  :: else ->                              /* consumer */
     mutexLock();
     do
     :: items > 0 -> items--; break
     :: else ->
        cvWait();
        if
        :: timedout -> timedout = 0; break   /* give up: E_TIMEOUT */
        :: timedout -> timedout = 0          /* or wait again */
        :: else -> skip
        fi
     od;
     mutexUnlock()
  fi
}
