/**
 * The per-container supervisor, in Perl: perl-base is Essential on Debian (on
 * every machine), and one supervisor costs ~0.9 MB of private memory (RSS
 * 5.6 MB, the rest shared libperl pages), where a Bun process per container
 * starts at ~25 MB RSS. It uses no module beyond strict, since it starts on
 * every container start and exec (perl with this script: ~7 ms here).
 *
 * The runtime writes it to `<stateDir>/bin/supervisor.pl`; see
 * process-runtime.ts for how it is started and spec.ts for its input.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const supervisorScript = String.raw`# kubun process runtime: the per-container supervisor.
#   supervise DIR       run by the agent under "unshare --mount": builds the
#                       container's filesystem view, starts the container, writes
#                       its CRI log and exit status; it outlives the agent.
#   enter DIR ARGV...   run by the agent under "nsenter --mount": execs a command
#                       in the container's view (exec, probes).
# Start-up time counts (it is on every container start and exec), so no module
# beyond strict is loaded: Linux constants are spelled out and syscall numbers
# for this architecture come from the spec (the mount command and Time::HiRes
# are the fallbacks when they do not).
use strict;

sub O_RDONLY () { 0 }
sub O_WRONLY () { 1 }
sub O_RDWR () { 2 }
sub O_CREAT () { 0100 }
sub O_NOCTTY () { 0400 }
sub O_APPEND () { 02000 }
sub O_NONBLOCK () { 04000 }
sub F_GETFL () { 3 }
sub F_SETFL () { 4 }
sub MS_RDONLY () { 1 }
sub MS_NOSUID () { 2 }
sub MS_NODEV () { 4 }
sub MS_REMOUNT () { 32 }
sub MS_BIND () { 4096 }
sub MS_REC () { 16384 }
sub ENOENT () { 2 }
sub EINTR () { 4 }
sub EAGAIN () { 11 }

my ($mode, $dir, @command) = @ARGV;
die "usage: supervisor.pl supervise|enter DIR [ARGV...]\n" unless defined $dir;
my %spec = read_spec("$dir/spec");

# The spec is NUL-separated: a key, then its value ("mnt" takes three values).
sub read_spec {
  my ($path) = @_;
  open(my $fh, '<', $path) or die "open $path: $!\n";
  local $/;
  my $data = <$fh>;
  close $fh;
  my @fields = split /\0/, $data, -1;
  pop @fields;
  my %s = (arg => [], env => [], cg => [], mnt => []);
  while (@fields) {
    my $key = shift @fields;
    if ($key eq 'mnt') { push @{ $s{mnt} }, [ splice(@fields, 0, 3) ] }
    elsif (ref $s{$key}) { push @{ $s{$key} }, shift @fields }
    else { $s{$key} = shift @fields }
  }
  return %s;
}

# Moves the calling process into the container's cgroups (children inherit them).
sub join_cgroups {
  for my $cg (@{ $spec{cg} }) {
    open(my $fh, '>>', "$cg/cgroup.procs") or die "cgroup $cg: $!\n";
    syswrite($fh, "$$\n") or die "cgroup $cg: $!\n";
    close $fh;
  }
}

# chroot into the container's root, then chdir to its working directory
# (created inside the container's view when missing, as runc does).
sub enter_root {
  my $root = $spec{root};
  if ($root ne '') { chroot($root) or die "chroot $root: $!\n" }
  my $wd = $spec{wd};
  if (!-d $wd) {
    my $path = '';
    for my $part (grep { $_ ne '' } split m{/}, $wd) {
      $path .= "/$part";
      mkdir $path unless -d $path;
    }
  }
  chdir($wd) or die "chdir $wd: $!\n";
}

# Execs the command with exactly the container's environment; returns (exit
# code, message) when it cannot (127: not found, 126: not executable).
sub exec_command {
  my @argv = @_;
  %ENV = ();
  for my $pair (@{ $spec{env} }) {
    my ($name, $value) = split /=/, $pair, 2;
    $ENV{$name} = $value;
  }
  $SIG{$_} = 'DEFAULT' for qw(PIPE HUP INT TERM USR1 CHLD);
  exec { $argv[0] } @argv;
  return ($! == ENOENT ? 127 : 126, "exec \"$argv[0]\": $!");
}

sub enter {
  my @argv = @_;
  die "enter: no command\n" unless @argv;
  join_cgroups();
  enter_root();
  my ($code, $message) = exec_command(@argv);
  print STDERR "$message\n";
  exit $code;
}

# ---- supervise ------------------------------------------------------------

# Wall-clock time with microseconds.
sub now {
  if ($spec{nr_gettimeofday}) {
    my $tv = "\0" x 16;
    return unpack('q q', $tv) if syscall($spec{nr_gettimeofday} + 0, $tv, 0) == 0;
  }
  return Time::HiRes::gettimeofday() if eval { require Time::HiRes; 1 };
  return (time, 0);
}

sub rfc3339 {
  my ($sec, $usec) = @_;
  my @t = gmtime($sec);
  return sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%06d000Z',
    $t[5] + 1900, $t[4] + 1, $t[3], $t[2], $t[1], $t[0], $usec);
}

sub write_all {
  my ($fh, $data) = @_;
  my $offset = 0;
  while ($offset < length $data) {
    my $n = syswrite($fh, $data, length($data) - $offset, $offset);
    if (!defined $n) { next if $! == EINTR || $! == EAGAIN; return }
    $offset += $n;
  }
}

# Writes a file atomically (readers never see half of it).
sub write_file {
  my ($path, $data) = @_;
  open(my $fh, '>', "$path.tmp") or die "write $path: $!\n";
  print $fh $data;
  close($fh) or die "write $path: $!\n";
  rename("$path.tmp", $path) or die "rename $path: $!\n";
}

# Runs a command; dies with its output when it fails.
sub run {
  my @cmd = @_;
  pipe(my $r, my $w) or die "pipe: $!\n";
  my $pid = fork() // die "fork: $!\n";
  if ($pid == 0) {
    close $r;
    open(STDOUT, '>&', $w);
    open(STDERR, '>&', $w);
    exec { $cmd[0] } @cmd;
    print STDERR "exec $cmd[0]: $!\n";
    exit 127;
  }
  close $w;
  local $/;
  my $out = <$r> // '';
  close $r;
  waitpid($pid, 0);
  if ($?) { $out =~ s/\s+\z//; die "@cmd: $out\n" }
}

# mount(2) directly when the syscall number is known (a mount process per
# call would cost milliseconds each), else the mount command.
sub mount_fs {
  my ($source, $target, $type, $flags, $data) = @_;
  if ($spec{nr_mount}) {
    my $ok = syscall($spec{nr_mount} + 0, $source, $target, $type, $flags + 0, $data) == 0;
    die "mount $source on $target: $!\n" unless $ok;
    return;
  }
  my @options = ($data);
  push @options, 'remount' if $flags & MS_REMOUNT;
  push @options, 'bind' if $flags & MS_REMOUNT && $flags & MS_BIND;
  push @options, 'ro' if $flags & MS_RDONLY;
  push @options, 'nosuid' if $flags & MS_NOSUID;
  push @options, 'nodev' if $flags & MS_NODEV;
  my @cmd = ('mount');
  push @cmd, '-t', $type if $type ne '';
  push @cmd, '--rbind' if $flags & MS_BIND && !($flags & MS_REMOUNT);
  my $opts = join(',', grep { $_ ne '' } @options);
  push @cmd, '-o', $opts if $opts ne '';
  push @cmd, $source if !($flags & MS_REMOUNT);
  run(@cmd, $target);
}

# A container path inside ROOT, resolving symbolic links against ROOT (never
# the host) and creating what is missing (FILE: the last part as a file).
sub resolve_in_root {
  my ($root, $path, $file) = @_;
  my @todo = grep { $_ ne '' && $_ ne '.' } split m{/}, $path;
  my @done;
  my $links = 0;
  while (@todo) {
    my $part = shift @todo;
    if ($part eq '..') { pop @done; next }
    my $p = join('/', $root, @done, $part);
    if (-l $p) {
      die "$path: too many levels of symbolic links\n" if ++$links > 40;
      my $target = readlink($p) // die "readlink $p: $!\n";
      @done = () if substr($target, 0, 1) eq '/';
      unshift @todo, grep { $_ ne '' && $_ ne '.' } split m{/}, $target;
      next;
    }
    if (!-e $p) {
      if (@todo || !$file) { mkdir($p, 0755) or die "mkdir $p: $!\n" }
      else { sysopen(my $fh, $p, O_WRONLY | O_CREAT, 0644) or die "create $p: $!\n"; close $fh }
    }
    push @done, $part;
  }
  return join('/', $root, @done) || '/';
}

sub depth { return scalar(grep { $_ ne '' } split m{/}, $_[0]) }

# The private mount namespace (made rprivate by unshare) gets the overlay with
# the host's / as lower layer, the host's /proc, /dev and /sys, a private
# /dev/shm, the runtime directory hidden, and the container's mounts.
sub set_up_filesystem {
  my $root = $spec{root};
  if ($root ne '') {
    mount_fs('overlay', $root, 'overlay', 0, "lowerdir=/,upperdir=$spec{upper},workdir=$spec{work}");
    mount_fs("/$_", "$root/$_", '', MS_BIND | MS_REC, '') for qw(proc dev sys);
    mount_fs('shm', "$root/dev/shm", 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777,size=64m')
      if -d "$root/dev/shm";
    mount_fs('tmpfs', "$root$spec{hide}", 'tmpfs', 0, 'mode=0700,size=4k')
      if $spec{hide} ne '' && -d "$root$spec{hide}";
  }
  for my $m (sort { depth($a->[2]) <=> depth($b->[2]) } @{ $spec{mnt} }) {
    my ($ro, $source, $path) = @$m;
    die "mount source $source: $!\n" unless -e $source;
    my $target = resolve_in_root($root, $path, !-d $source);
    mount_fs($source, $target, '', MS_BIND | MS_REC, '');
    mount_fs('none', $target, '', MS_REMOUNT | MS_BIND | MS_RDONLY, '') if $ro eq '1';
  }
}

# CRI log lines: "<time> <stream> <F|P> <text>"; P for a line cut at 16 KiB or
# a stream that ends without a newline. "\r\n" counts as a line ending.
my $max_line = 16384;
my %pending = (stdout => '', stderr => '');
my $log;

sub log_output {
  my ($stream, $data, $eof) = @_;
  my $buf = $pending{$stream} . $data;
  my $ts = rfc3339(now());
  my ($out, $pos, $len) = ('', 0, length $buf);
  while ($pos < $len) {
    my $nl = index($buf, "\n", $pos);
    if ($nl >= 0 && $nl - $pos <= $max_line) {
      my $line = substr($buf, $pos, $nl - $pos);
      $line =~ s/\r\z//;
      $out .= "$ts $stream F $line\n";
      $pos = $nl + 1;
    } elsif ($len - $pos > $max_line) {
      $out .= "$ts $stream P " . substr($buf, $pos, $max_line) . "\n";
      $pos += $max_line;
    } else {
      last;
    }
  }
  if ($eof && $pos < $len) {
    $out .= "$ts $stream P " . substr($buf, $pos) . "\n";
    $pos = $len;
  }
  $pending{$stream} = substr($buf, $pos);
  return unless length $out;
  reopen_rotated_log();
  write_all($log, $out);
}

# The agent rotates a log by renaming it and creating a new file at the path:
# once a second, follow the path to the new file.
my $log_checked = 0;
sub reopen_rotated_log {
  my $second = time;
  return if $second == $log_checked;
  $log_checked = $second;
  my @at_path = stat($spec{log});
  my @open = stat($log);
  return if !@at_path || !@open || $at_path[1] == $open[1];
  my $fresh;
  sysopen($fresh, $spec{log}, O_WRONLY | O_APPEND | O_CREAT, 0640) or return;
  close($log);
  $log = $fresh;
}

# The first line on stdout tells the agent how the start went; then stdout and
# stderr leave the agent's pipes so that the agent may die without harm.
sub report {
  my ($line) = @_;
  write_all(\*STDOUT, "$line\n");
  open(STDOUT, '>', '/dev/null');
  open(STDERR, '>>', "$dir/supervisor.log");
}

sub fail_start {
  my ($message) = @_;
  $message =~ s/\s+\z//;
  $message =~ s/\n/; /g;
  report("error $message");
  exit 1;
}

sub start_time {
  my ($pid) = @_;
  open(my $fh, '<', "/proc/$pid/stat") or return 0;
  my $stat = <$fh>;
  close $fh;
  $stat =~ s/^.*\)\s+//s;
  return (split /\s+/, $stat)[19] // 0;
}

# A new session: the container's processes form their own process group, and
# a terminal opened next becomes its controlling terminal.
sub new_session {
  if ($spec{nr_setsid}) { return if syscall($spec{nr_setsid} + 0) >= 0 }
  require POSIX;
  POSIX::setsid() // die "setsid: $!\n";
}

# Kills what is left of the container once its main process has exited, as
# the end of a PID namespace would.
sub kill_remaining {
  my ($pid) = @_;
  kill('KILL', -$pid);
  for my $cg (@{ $spec{cg} }) {
    open(my $fh, '<', "$cg/cgroup.procs") or next;
    my @pids = grep { /^\d+$/ } map { s/\s+//gr } <$fh>;
    close $fh;
    kill('KILL', @pids) if @pids;
  }
}

sub supervise {
  $SIG{$_} = 'IGNORE' for qw(PIPE HUP INT);
  chdir '/';
  my $tty = $spec{tty} eq '1';
  my $close_stdin = 0;
  $SIG{USR1} = sub { $close_stdin = 1 };

  eval { set_up_filesystem(); 1 } or fail_start($@);
  sysopen($log, $spec{log}, O_WRONLY | O_APPEND | O_CREAT, 0640) or fail_start("open $spec{log}: $!");

  # stdin: a FIFO the agent (re)opens; the supervisor keeps it open read-write
  # so that the container sees no end of input when the agent goes away.
  my ($keeper, $child_stdin);
  if ($spec{stdin} ne '') {
    eval { run('mkfifo', '-m', '0600', $spec{stdin}) unless -p $spec{stdin}; 1 } or fail_start($@);
    sysopen($keeper, $spec{stdin}, O_RDWR) or fail_start("open $spec{stdin}: $!");
    if (!$tty) { sysopen($child_stdin, $spec{stdin}, O_RDONLY) or fail_start("open $spec{stdin}: $!") }
  }

  my ($ptm, $pts, $out_r, $out_w, $err_r, $err_w);
  if ($tty) {
    sysopen($ptm, '/dev/ptmx', O_RDWR | O_NOCTTY) or fail_start("open /dev/ptmx: $!");
    my ($unlock, $number, $size) = (pack('i', 0), pack('I', 0), pack('S4', 24, 80, 0, 0));
    ioctl($ptm, 0x40045431, $unlock) or fail_start("unlockpt: $!");    # TIOCSPTLCK
    ioctl($ptm, 0x80045430, $number) or fail_start("ptsname: $!");     # TIOCGPTN
    $pts = '/dev/pts/' . unpack('I', $number);
    ioctl($ptm, 0x5414, $size);                                         # TIOCSWINSZ
    fcntl($ptm, F_SETFL, fcntl($ptm, F_GETFL, 0) | O_NONBLOCK);
  } else {
    pipe($out_r, $out_w) or fail_start("pipe: $!");
    pipe($err_r, $err_w) or fail_start("pipe: $!");
  }
  # Closed on exec (perl marks its descriptors close-on-exec): EOF means the
  # command runs, a message means it could not be started.
  pipe(my $status_r, my $status_w) or fail_start("pipe: $!");

  my $pid = fork() // fail_start("fork: $!");
  if ($pid == 0) {
    close $status_r;
    my ($code, $message) = (1, '');
    eval {
      new_session();
      join_cgroups();
      my ($in, $out, $err);
      if ($tty) {
        sysopen(my $t, $pts, O_RDWR) or die "open $pts: $!\n";    # becomes the controlling terminal
        ($in, $out, $err) = ($t, $t, $t);
      } else {
        if (!$child_stdin) { sysopen($child_stdin, '/dev/null', O_RDONLY) or die "/dev/null: $!\n" }
        ($in, $out, $err) = ($child_stdin, $out_w, $err_w);
      }
      enter_root();
      open(STDIN, '<&', $in) or die "stdin: $!\n";
      open(STDOUT, '>&', $out) or die "stdout: $!\n";
      open(STDERR, '>&', $err) or die "stderr: $!\n";
      ($code, $message) = exec_command(@{ $spec{arg} });
      1;
    } or $message = $@;
    syswrite($status_w, $message);
    exit $code;
  }
  close $status_w;
  close $out_w if $out_w;
  close $err_w if $err_w;
  close $child_stdin if $child_stdin;
  my $failure = '';
  while (1) {
    my $n = sysread($status_r, my $chunk, 4096);
    if (!defined $n) { next if $! == EINTR; last }
    last if $n == 0;
    $failure .= $chunk;
  }
  close $status_r;
  if ($failure ne '') {
    waitpid($pid, 0);
    fail_start($failure);
  }
  eval { write_file("$dir/pids", join(' ', $$, $pid, start_time($$), start_time($pid)) . "\n"); 1 }
    or fail_start($@);
  report("ok $pid");
  $SIG{CHLD} = sub { };    # a handler, so that the child's exit interrupts select

  my @inputs = $tty ? ([$ptm, 'stdout']) : ([$out_r, 'stdout'], [$err_r, 'stderr']);
  my ($status, $deadline, $to_tty, @finished) = (undef, undef, '');
  while (@inputs) {
    if ($close_stdin && $keeper) {
      $to_tty .= "\x04" if $tty;    # end of input for a terminal in canonical mode
      close $keeper;
      undef $keeper;
    }
    my ($rin, $win) = ('', '');
    vec($rin, fileno($_->[0]), 1) = 1 for @inputs;
    vec($rin, fileno($keeper), 1) = 1 if $tty && $keeper && $to_tty eq '';
    vec($win, fileno($ptm), 1) = 1 if $tty && $to_tty ne '';
    # A timeout, because SIGCHLD may arrive just before select blocks and the
    # pipes stay open while a descendant holds them.
    my $n = select(my $rout = $rin, my $wout = $win, undef, 0.25);
    if ($n > 0) {
      for my $input (@inputs) {
        my ($fh, $stream) = @$input;
        next unless vec($rout, fileno($fh), 1);
        my $r = sysread($fh, my $chunk, 65536);
        if (!defined $r && ($! == EINTR || $! == EAGAIN)) { next }
        if ($r) { log_output($stream, $chunk, 0); next }
        log_output($stream, '', 1);    # EOF (EIO on a terminal whose other side is gone)
        $input->[0] = undef;
      }
      @inputs = grep { defined $_->[0] } @inputs;
      if ($tty && $keeper && vec($rout, fileno($keeper), 1)) {
        my $r = sysread($keeper, my $chunk, 4096);
        $to_tty .= $chunk if $r;
      }
      if ($tty && $to_tty ne '' && vec($wout, fileno($ptm), 1)) {
        my $w = syswrite($ptm, $to_tty);
        substr($to_tty, 0, $w) = '' if $w;
      }
    }
    if (!defined $status) {
      if (waitpid($pid, 1) == $pid) {    # WNOHANG
        $status = $?;
        @finished = now();
        kill_remaining($pid);
        $deadline = time + 2;
      }
    } elsif (time > $deadline) {
      last;
    }
  }
  if (!defined $status) {
    waitpid($pid, 0);
    $status = $?;
    @finished = now();
  }
  log_output($_, '', 1) for qw(stdout stderr);
  write_file("$dir/exit", "$status @finished\n");
  exit 0;
}

if ($mode eq 'enter') { enter(@command) }
elsif ($mode eq 'supervise') { supervise() }
else { die "unknown mode $mode\n" }
`;

/** Writes the script under DIR (only when it changed) and returns its path. */
export function installSupervisor(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, "supervisor.pl");
  let current: string | null = null;
  try {
    current = readFileSync(path, "utf8");
  } catch {
    current = null;
  }
  if (current !== supervisorScript) {
    // Running supervisors keep the copy they loaded; rename keeps readers whole.
    writeFileSync(`${path}.tmp`, supervisorScript, { mode: 0o600 });
    renameSync(`${path}.tmp`, path);
  }
  return path;
}
