// mirrors assembly/rwlock.ts: readTry, readStep, readUnlock, writeTry, writeStep,
// writeUnlock, wakeWriter, wakeWriterOrReaders, giveUp, lockBlocking
//
// The state word is scaled down: bits 0..2 readers (7 = MASK = write-locked, 6 = max
// readers), 8 READERS_WAITING, 16 WRITERS_WAITING; writer_notify is a small counter (it
// only grows by one per wakeWriter, and the runs are bounded). Default: processes 0 and 1
// read, process 2 writes; -DTWO_WRITERS: process 0 reads, 1 and 2 write. Each locks and
// unlocks twice. At most MAXTIMEOUTS waits time out (a parked timeout, or the deadline
// found expired), which runs the last try and giveUp. The spinWhile + try before the loop
// only re-reads and is left out.
//
// Checks:
//   - a writer excludes everyone, readers exclude writers
//   - no deadlock / lost wake-up: every process is bounded, so a reader or writer still
//     parked when the others are done is an invalid end state (also after timeouts left
//     waiting bits behind)
//   - witness: a reader finds the lock read-locked and still parks because a writer waits
//     (a waiting writer holds new readers back)
//
// run: readers2-writer1 cc=-DSAFETY
// run: reader1-writers2 spin=-DTWO_WRITERS cc=-DSAFETY
// run: holdback-witness spin=-DWITNESS_HOLDBACK cc=-DSAFETY expect=reach
// mutant: BUG_GIVEUP_NOTHING giveUp leaves the waiting bits behind without waking anyone
// mutant: BUG_WRITER_DROPS_OTHERS a woken writer locks without keeping WRITERS_WAITING
// mutant: BUG_SEQ_AFTER_CHECK writeStep reads writer_notify after re-checking the state
// mutant: BUG_READ_UNLOCK_NO_WAKE the last reader out does not wake a waiting writer
// mutant: BUG_READERS_IGNORE_WRITERS readers may lock while a writer waits

#define N 3
#define ITERS 2
#ifndef MAXTIMEOUTS
#define MAXTIMEOUTS 1
#endif

#ifdef TWO_WRITERS
#define IS_WRITER (_pid != 0)
#else
#define IS_WRITER (_pid == 2)
#endif

#define A_STATE 1
#define A_NOTIFY 2

#define MASK 7
#define WRITE_LOCKED 7
#define MAX_READERS 6
#define READERS_WAITING 8
#define WRITERS_WAITING 16

#define UNLOCKED(s) (((s) & MASK) == 0)
#define WRITE_LOCKED_(s) (((s) & MASK) == WRITE_LOCKED)
#ifdef BUG_READERS_IGNORE_WRITERS
#define READ_LOCKABLE(s) (((s) & MASK) < MAX_READERS && ((s) & READERS_WAITING) == 0)
#else
#define READ_LOCKABLE(s) (((s) & MASK) < MAX_READERS && ((s) & (READERS_WAITING | WRITERS_WAITING)) == 0)
#endif

#define WAITED 0
#define NOT_EQUAL 1
#define TIMED_OUT 2

#define OK 0
#define E_AGAIN 1
#define E_TIMEOUT 2

byte state = 0;
byte wnotify = 0;
byte waitq[N];
byte timeouts = MAXTIMEOUTS;
byte readers = 0, writers = 0;    /* ghosts: holders */

#define EXCLUSION assert((writers == 0) || (writers == 1 && readers == 0))

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

/* wakeWriter: writer_notify++, notify(writer_notify, 1); woke = a writer was woken */
inline wakeWriter() {
  wnotify++;
  atomic {
    if
    :: waitq[0] == A_NOTIFY -> waitq[0] = 0; woke = 1
    :: waitq[1] == A_NOTIFY -> waitq[1] = 0; woke = 1
    :: waitq[2] == A_NOTIFY -> waitq[2] = 0; woke = 1
    :: else -> woke = 0
    fi
  }
}

inline wakeAllReaders() {
  d_step {
    if :: waitq[0] == A_STATE -> waitq[0] = 0 :: else -> skip fi;
    if :: waitq[1] == A_STATE -> waitq[1] = 0 :: else -> skip fi;
    if :: waitq[2] == A_STATE -> waitq[2] = 0 :: else -> skip fi
  }
}

/* wakeWriterOrReaders(obj, s), s in local s */
inline wakeWriterOrReaders() {
  if
  :: !UNLOCKED(s) -> goto woken
  :: else -> skip
  fi;
  if
  :: s == WRITERS_WAITING ->
     atomic {
       if
       :: state == s -> state = 0; ok = 1
       :: else -> s = state; ok = 0        /* the CAS returned what it saw */
       fi
     }
     if :: ok -> wakeWriter(); goto woken :: else -> skip fi
  :: else -> skip
  fi;
  if
  :: s == READERS_WAITING | WRITERS_WAITING ->
     atomic {
       if
       :: state == s -> state = READERS_WAITING; ok = 1
       :: else -> ok = 0
       fi
     }
     if :: !ok -> goto woken :: else -> skip fi;   /* locked meanwhile */
     wakeWriter();
     if :: woke -> goto woken :: else -> skip fi;
     s = READERS_WAITING                           /* no writer was parked: the readers go */
  :: else -> skip
  fi;
  if
  :: s == READERS_WAITING ->
     atomic { if :: state == s -> state = 0; ok = 1 :: else -> ok = 0 fi }
     if :: ok -> wakeAllReaders() :: else -> skip fi
  :: else -> skip
  fi;
woken:
  ok = 0; woke = 0
}

/* giveUp(obj) */
inline giveUp() {
#ifndef BUG_GIVEUP_NOTHING
  s = state;
  if
  :: UNLOCKED(s) && (s & (READERS_WAITING | WRITERS_WAITING)) != 0 -> wakeWriterOrReaders()
  :: else -> skip
  fi
#else
  skip
#endif
}

/* readTry / writeTry: sets got */
inline tryLock() {
  s = state;
  do
  :: atomic {
       if
       :: !write && READ_LOCKABLE(s) ->
          if
          :: state == s -> state = s + 1; readers++; EXCLUSION; got = 1; break
          :: else -> s = state
          fi
       :: write && UNLOCKED(s) ->
          if
          :: state == s -> state = s + WRITE_LOCKED; writers++; EXCLUSION; got = 1; break
          :: else -> s = state
          fi
       :: else -> got = 0; break
       fi
     }
  od
}

/* readStep(obj): sets got, or wv = the state word to park on */
inline readStep() {
  do
  :: s = state;
     if
     :: READ_LOCKABLE(s) ->
        atomic { if :: state == s -> state = s + 1; readers++; EXCLUSION; got = 1; break :: else -> skip fi }
     :: else ->
        if
        :: (s & READERS_WAITING) == 0 ->
           atomic {
             if
             :: state == s -> state = s | READERS_WAITING;
#ifdef WITNESS_HOLDBACK
                assert(!((s & MASK) != 0 && !WRITE_LOCKED_(s) && (s & WRITERS_WAITING) != 0));
#endif
                wv = s | READERS_WAITING; break
             :: else -> skip
             fi
           }
        :: else -> wv = s | READERS_WAITING; break
        fi
     fi
  od
}

/* writeStep(obj, waited): sets got, or wv = the writer_notify value to park on */
inline writeStep() {
  do
  :: s = state;
     if
     :: UNLOCKED(s) ->
        atomic {
          if
#ifdef BUG_WRITER_DROPS_OTHERS
          :: state == s -> state = s | WRITE_LOCKED; writers++; EXCLUSION; got = 1; break
#else
          :: state == s -> state = s | WRITE_LOCKED | (waited -> WRITERS_WAITING : 0); writers++; EXCLUSION; got = 1; break
#endif
          :: else -> skip
          fi
        }
     :: else ->
        if
        :: (s & WRITERS_WAITING) == 0 ->
           atomic { if :: state == s -> state = s | WRITERS_WAITING; ok = 1 :: else -> ok = 0 fi }
        :: else -> ok = 1
        fi;
        if
        :: ok ->
           ok = 0;
#ifdef BUG_SEQ_AFTER_CHECK
           s = state;
           wv = wnotify;
#else
           wv = wnotify;                   /* read the counter before re-checking */
           s = state;
#endif
           if
           :: UNLOCKED(s) || (s & WRITERS_WAITING) == 0 -> skip
           :: else -> break
           fi
        :: else -> skip
        fi
     fi
  od
}

active [N] proctype P() {
  bool write = IS_WRITER;
  bool got, waited, ok, woke;
  byte s, wv, r, iter = 0;

  do
  :: iter == ITERS -> break
  :: else ->
     /* ---- lockBlocking(obj, write, deadline) ---- */
     tryLock();
     waited = 0;
     do
     :: got -> break
     :: else ->
        if :: write -> writeStep() :: else -> readStep() fi;
        if :: got -> break :: else -> skip fi;
        if
        :: write -> park(A_NOTIFY, wnotify, wv)
        :: else -> park(A_STATE, state, wv)
        fi;
        wv = 0;
        if
        :: r == TIMED_OUT -> skip
        :: atomic { r != TIMED_OUT && timeouts > 0 -> timeouts-- }   /* expired(deadline) */
        :: r != TIMED_OUT -> r = 0; waited = 1; goto retry
        fi;
        r = 0;
        tryLock();
        if :: !got -> giveUp() :: else -> skip fi;
        break;
retry:
        skip
     od;
     waited = 0; s = 0;
     if
     :: got ->
        got = 0;
        if
        :: write ->
           /* ---- writeUnlock ---- */
           atomic { writers--; state = state - WRITE_LOCKED; s = state }
           if
           :: (s & (READERS_WAITING | WRITERS_WAITING)) != 0 -> wakeWriterOrReaders()
           :: else -> skip
           fi
        :: else ->
           /* ---- readUnlock ---- */
           atomic { readers--; state = state - 1; s = state }
#ifndef BUG_READ_UNLOCK_NO_WAKE
           if
           :: UNLOCKED(s) && (s & WRITERS_WAITING) != 0 -> wakeWriterOrReaders()
           :: else -> skip
           fi
#endif
        fi
     :: else -> skip                         /* E_TIMEOUT */
     fi;
     s = 0;
     iter++
  od
}
