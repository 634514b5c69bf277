using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace LitGen;

/// <summary>
/// The part of Open MPI's C API the ddp strategy uses, called through function pointers. Open MPI's handles
/// (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are the addresses of exported globals, so they are looked
/// up with <see cref="NativeLibrary.GetExport"/>; MPI.NET assumes MS-MPI/MPICH integer handles and cannot call it.
/// The library is loaded on first use only, so single-process users need no MPI installed. Errors are returned, not
/// fatal (<c>MPI_ERRORS_RETURN</c>): a failed call becomes an <see cref="MpiException"/> with Open MPI's message, so the
/// strategy can say which of its collectives failed (<see cref="Collectives"/>). The collectives are the blocking ones
/// (Open MPI's tuned algorithms; its non-blocking ones took 1.8× as long for a 0.86 MB allreduce here); the startup
/// barrier is non-blocking, so it can give up.
/// </summary>
internal sealed unsafe class OpenMpi
{
    private const string LibraryName = "libmpi.so.40";
    private const int RtldNow = 2;
    private const int RtldGlobal = 0x100;
    private const int ThreadSerialized = 2;
    private static readonly IntPtr InPlace = 1;   // Open MPI's MPI_IN_PLACE

    private static OpenMpi? instance;
    private static readonly Lock Gate = new();

    private readonly delegate* unmanaged<int*, int> initialized;
    private readonly delegate* unmanaged<int*, IntPtr*, int, int*, int> initThread;
    private readonly delegate* unmanaged<int*, int> finalized;
    private readonly delegate* unmanaged<int> finalize;
    private readonly delegate* unmanaged<IntPtr, int*, int> commRank;
    private readonly delegate* unmanaged<IntPtr, int*, int> commSize;
    private readonly delegate* unmanaged<IntPtr, IntPtr*, int> ibarrier;
    private readonly delegate* unmanaged<IntPtr*, int*, IntPtr, int> test;
    private readonly delegate* unmanaged<IntPtr, int, int> abort;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int> allreduce;
    private readonly delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int> bcast;
    private readonly delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, int, IntPtr, IntPtr, int> allgather;
    private readonly delegate* unmanaged<IntPtr, int> barrier;
    private readonly delegate* unmanaged<IntPtr, IntPtr, int> commSetErrhandler;
    private readonly delegate* unmanaged<int, byte*, int*, int> errorString;

    private OpenMpi(IntPtr library)
    {
        initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
        initThread = (delegate* unmanaged<int*, IntPtr*, int, int*, int>)Export(library, "MPI_Init_thread");
        finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized");
        finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
        commRank = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "MPI_Comm_rank");
        commSize = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "MPI_Comm_size");
        ibarrier = (delegate* unmanaged<IntPtr, IntPtr*, int>)Export(library, "MPI_Ibarrier");
        test = (delegate* unmanaged<IntPtr*, int*, IntPtr, int>)Export(library, "MPI_Test");
        abort = (delegate* unmanaged<IntPtr, int, int>)Export(library, "MPI_Abort");
        allreduce = (delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int>)Export(library, "MPI_Allreduce");
        bcast = (delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int>)Export(library, "MPI_Bcast");
        allgather = (delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, int, IntPtr, IntPtr, int>)Export(library, "MPI_Allgather");
        barrier = (delegate* unmanaged<IntPtr, int>)Export(library, "MPI_Barrier");
        commSetErrhandler = (delegate* unmanaged<IntPtr, IntPtr, int>)Export(library, "MPI_Comm_set_errhandler");
        errorString = (delegate* unmanaged<int, byte*, int*, int>)Export(library, "MPI_Error_string");
        ErrorsReturn = Export(library, "ompi_mpi_errors_return");
        World = Export(library, "ompi_mpi_comm_world");
        Byte = Export(library, "ompi_mpi_byte");
        Float = Export(library, "ompi_mpi_float");
        Double = Export(library, "ompi_mpi_double");
        Int64 = Export(library, "ompi_mpi_long_long_int");
        Sum = Export(library, "ompi_mpi_op_sum");
        Max = Export(library, "ompi_mpi_op_max");
        Min = Export(library, "ompi_mpi_op_min");
    }

    public IntPtr World { get; }
    public IntPtr Byte { get; }
    public IntPtr Float { get; }
    public IntPtr Double { get; }
    public IntPtr Int64 { get; }
    public IntPtr Sum { get; }
    public IntPtr Max { get; }
    public IntPtr Min { get; }
    private IntPtr ErrorsReturn { get; }

    /// <summary>Loads Open MPI and initializes it once per process (MPI may be initialized only once); finalized at exit.</summary>
    public static OpenMpi Initialize()
    {
        lock (Gate)
        {
            if (instance is not null) return instance;
            var library = Load();
            var mpi = new OpenMpi(library);
            int flag;
            mpi.Check(mpi.initialized(&flag), "MPI_Initialized");
            if (flag == 0)
            {
                // .NET turns SIGSEGV into NullReferenceException; Open MPI's backtrace handlers must leave it alone.
                SetEnvironmentIfUnset("OMPI_MCA_opal_signal", "");
                int provided;
                mpi.Check(mpi.initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
                AppDomain.CurrentDomain.ProcessExit += (_, _) => mpi.FinalizeOnExit();
            }
            mpi.Check(mpi.commSetErrhandler(mpi.World, mpi.ErrorsReturn), "MPI_Comm_set_errhandler");
            return instance = mpi;
        }
    }

    public int Rank
    {
        get
        {
            int rank;
            Check(commRank(World, &rank), "MPI_Comm_rank");
            return rank;
        }
    }

    public int Size
    {
        get
        {
            int size;
            Check(commSize(World, &size), "MPI_Comm_size");
            return size;
        }
    }

    /// <summary>Reduces <paramref name="count"/> elements at <paramref name="buffer"/> in place on every process.</summary>
    public void AllReduce(IntPtr buffer, int count, IntPtr datatype, IntPtr op) => Check(allreduce(InPlace, buffer, count, datatype, op, World), "MPI_Allreduce");

    /// <summary>Sends <paramref name="count"/> bytes at <paramref name="buffer"/> from <paramref name="root"/> to every process.</summary>
    public void Broadcast(IntPtr buffer, int count, int root) => Check(bcast(buffer, count, Byte, root, World), "MPI_Bcast");

    /// <summary>Gathers <paramref name="bytes"/> bytes from every process into <paramref name="receive"/> (rank order).</summary>
    public void AllGather(IntPtr send, IntPtr receive, int bytes) => Check(allgather(send, bytes, Byte, receive, bytes, Byte, World), "MPI_Allgather");

    public void Barrier() => Check(barrier(World), "MPI_Barrier");

    /// <summary>Starts a barrier that can be waited for with a limit (<see cref="Test"/>).</summary>
    public IntPtr StartBarrier()
    {
        IntPtr request;
        Check(ibarrier(World, &request), "MPI_Ibarrier");
        return request;
    }

    /// <summary>Whether the operation of <paramref name="request"/> has completed (then the request is freed).</summary>
    public bool Test(ref IntPtr request)
    {
        int done;
        fixed (IntPtr* r = &request) Check(test(r, &done, IntPtr.Zero), "MPI_Test");
        return done != 0;
    }

    /// <summary>Ends every process of the job (MPI_Abort): what a failing rank does so that no other rank waits forever.</summary>
    public void Abort(int exitCode) => abort(World, exitCode);

    private void FinalizeOnExit()
    {
        int flag;
        if (finalized(&flag) == 0 && flag == 0) finalize();
    }

    private static IntPtr Load()
    {
        // RTLD_GLOBAL: Open MPI's plugins resolve symbols of libmpi that a local load would hide from them.
        var handle = DlOpen(LibraryName, RtldNow | RtldGlobal);
        if (handle != IntPtr.Zero) return handle;
        var reason = Marshal.PtrToStringUTF8(DlError()) ?? "not found";
        throw new MisconfigurationException(
            $"Strategy \"ddp\" runs on Open MPI, and {LibraryName} could not be loaded ({reason}). Install it (Debian/Ubuntu: apt install openmpi-bin), " +
            "or train in one process (Strategy = \"auto\", Devices = 1).");
    }

    private static IntPtr Export(IntPtr library, string name)
        => NativeLibrary.TryGetExport(library, name, out var address)
            ? address
            : throw new MisconfigurationException($"{LibraryName} has no export '{name}': LitGen's ddp strategy needs Open MPI 4 or later (Debian: openmpi-bin).");

    private void Check(int result, string function)
    {
        if (result == 0) return;
        var text = new byte[256];   // MPI_MAX_ERROR_STRING
        int length = 0;
        fixed (byte* t = text) errorString(result, t, &length);
        throw new MpiException($"{function} failed: {System.Text.Encoding.UTF8.GetString(text, 0, Math.Clamp(length, 0, text.Length))} (MPI error {result}).");
    }

    private static void SetEnvironmentIfUnset(string name, string value)
    {
        // The native environment, which MPI_Init reads (Environment.SetEnvironmentVariable changes only .NET's copy).
        if (Environment.GetEnvironmentVariable(name) is null) SetEnv(name, value, 0);
    }

    [DllImport("libc", EntryPoint = "dlopen")]
    private static extern IntPtr DlOpen([MarshalAs(UnmanagedType.LPUTF8Str)] string file, int mode);

    [DllImport("libc", EntryPoint = "dlerror")]
    private static extern IntPtr DlError();

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int SetEnv([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}

/// <summary>An Open MPI call returned an error (the communicator returns errors instead of aborting).</summary>
internal sealed class MpiException(string message) : Exception(message);
