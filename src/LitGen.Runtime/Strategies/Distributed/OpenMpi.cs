using System;
using System.Runtime.InteropServices;
using System.Threading;

namespace LitGen;

/// <summary>
/// The part of Open MPI's C API the ddp strategy uses, called through function pointers. Open MPI's handles
/// (<c>MPI_COMM_WORLD</c>, <c>MPI_FLOAT</c>, <c>MPI_SUM</c>, …) are the addresses of exported globals, so they are looked
/// up with <see cref="NativeLibrary.GetExport"/>; MPI.NET assumes MS-MPI/MPICH integer handles and cannot call it.
/// The library is loaded on first use only, so single-process users need no MPI installed. Every call is checked:
/// Open MPI's default error handler already aborts the job on a failed call, and a non-zero return becomes an exception.
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
    private readonly delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int> allreduce;
    private readonly delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int> bcast;
    private readonly delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, int, IntPtr, IntPtr, int> allgather;
    private readonly delegate* unmanaged<IntPtr, int> barrier;
    private readonly delegate* unmanaged<IntPtr, IntPtr*, int> ibarrier;
    private readonly delegate* unmanaged<IntPtr*, int*, IntPtr, int> test;
    private readonly delegate* unmanaged<IntPtr, int, int> abort;

    private OpenMpi(IntPtr library)
    {
        initialized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Initialized");
        initThread = (delegate* unmanaged<int*, IntPtr*, int, int*, int>)Export(library, "MPI_Init_thread");
        finalized = (delegate* unmanaged<int*, int>)Export(library, "MPI_Finalized");
        finalize = (delegate* unmanaged<int>)Export(library, "MPI_Finalize");
        commRank = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "MPI_Comm_rank");
        commSize = (delegate* unmanaged<IntPtr, int*, int>)Export(library, "MPI_Comm_size");
        allreduce = (delegate* unmanaged<IntPtr, IntPtr, int, IntPtr, IntPtr, IntPtr, int>)Export(library, "MPI_Allreduce");
        bcast = (delegate* unmanaged<IntPtr, int, IntPtr, int, IntPtr, int>)Export(library, "MPI_Bcast");
        allgather = (delegate* unmanaged<IntPtr, int, IntPtr, IntPtr, int, IntPtr, IntPtr, int>)Export(library, "MPI_Allgather");
        barrier = (delegate* unmanaged<IntPtr, int>)Export(library, "MPI_Barrier");
        ibarrier = (delegate* unmanaged<IntPtr, IntPtr*, int>)Export(library, "MPI_Ibarrier");
        test = (delegate* unmanaged<IntPtr*, int*, IntPtr, int>)Export(library, "MPI_Test");
        abort = (delegate* unmanaged<IntPtr, int, int>)Export(library, "MPI_Abort");
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

    /// <summary>Loads Open MPI and initializes it once per process (MPI may be initialized only once); finalized at exit.</summary>
    public static OpenMpi Initialize()
    {
        lock (Gate)
        {
            if (instance is not null) return instance;
            var library = Load();
            var mpi = new OpenMpi(library);
            int flag;
            Check(mpi.initialized(&flag), "MPI_Initialized");
            if (flag == 0)
            {
                // .NET turns SIGSEGV into NullReferenceException; Open MPI's backtrace handlers must leave it alone.
                SetEnvironmentIfUnset("OMPI_MCA_opal_signal", "");
                int provided;
                Check(mpi.initThread(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
                AppDomain.CurrentDomain.ProcessExit += (_, _) => mpi.FinalizeOnExit();
            }
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
    public void AllReduceInPlace(IntPtr buffer, long count, IntPtr datatype, int elementSize, IntPtr op)
    {
        for (long done = 0; done < count;)
        {
            int chunk = (int)Math.Min(count - done, int.MaxValue);
            Check(allreduce(InPlace, buffer + (nint)(done * elementSize), chunk, datatype, op, World), "MPI_Allreduce");
            done += chunk;
        }
    }

    /// <summary>Sends <paramref name="count"/> bytes at <paramref name="buffer"/> from <paramref name="root"/> to every process.</summary>
    public void Broadcast(IntPtr buffer, long count, int root)
    {
        for (long done = 0; done < count;)
        {
            int chunk = (int)Math.Min(count - done, int.MaxValue);
            Check(bcast(buffer + (nint)done, chunk, Byte, root, World), "MPI_Bcast");
            done += chunk;
        }
    }

    /// <summary>Gathers <paramref name="bytes"/> bytes from every process into <paramref name="receive"/> (rank order).</summary>
    public void AllGather(IntPtr send, IntPtr receive, int bytes)
        => Check(allgather(send, bytes, Byte, receive, bytes, Byte, World), "MPI_Allgather");

    public void Barrier() => Check(barrier(World), "MPI_Barrier");

    /// <summary>A barrier that gives up after <paramref name="timeout"/> (a process that never arrives must not hang the others).</summary>
    public bool Barrier(TimeSpan timeout)
    {
        IntPtr request;
        Check(ibarrier(World, &request), "MPI_Ibarrier");
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            int done;
            Check(test(&request, &done, IntPtr.Zero), "MPI_Test");
            if (done != 0) return true;
            if (DateTime.UtcNow > deadline) return false;
            Thread.Sleep(1);
        }
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

    private static void Check(int result, string function)
    {
        if (result != 0) throw new InvalidOperationException($"{function} failed with MPI error code {result}.");
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
