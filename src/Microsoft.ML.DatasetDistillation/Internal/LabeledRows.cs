using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>Rows read from a view: dense features, one class index per row, and how classes map back to label values.</summary>
internal sealed record LabeledRows(float[] Features, int FeatureCount, int[] Classes, int ClassCount, KeyValues? KeyValues, int[]? Steps);

/// <summary>Checks the columns of a view and reads them through cursors.</summary>
internal static class LabeledRowReader
{
    public const string ExpectedFeature = "a known-size vector of Single";

    public static DataViewSchema.Column FindColumn(DataViewSchema schema, string name, string role, string expected)
    {
        ArgumentNullException.ThrowIfNull(name);
        return schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), $"The {role} column '{name}' was not found in the input; it must be {expected}.");
    }

    /// <summary>The feature column and its size; throws naming the column unless it is a known-size vector of Single.</summary>
    public static (DataViewSchema.Column Column, int Size) FeatureColumn(DataViewSchema schema, string name)
    {
        DataViewSchema.Column column = FindColumn(schema, name, "feature", ExpectedFeature);
        if (column.Type is not VectorDataViewType vector || vector.ItemType != NumberDataViewType.Single)
        {
            throw new ArgumentOutOfRangeException(nameof(schema), $"The feature column '{name}' must be {ExpectedFeature}, but it is {column.Type}.");
        }

        if (!vector.IsKnownSize)
        {
            throw new ArgumentOutOfRangeException(nameof(schema),
                $"The feature column '{name}' must be {ExpectedFeature}, but it is a variable-size vector; give it a size (for example [VectorType(n)]).");
        }

        return (column, vector.Size);
    }

    /// <summary>
    /// The label column; throws naming the column unless it is a key, as ML.NET's multiclass trainers need, with advice to
    /// map other types first.
    /// </summary>
    public static DataViewSchema.Column LabelColumn(DataViewSchema schema, string name)
    {
        DataViewSchema.Column column = FindColumn(schema, name, "label", "a key");
        return column.Type is KeyDataViewType
            ? column
            : throw new ArgumentOutOfRangeException(nameof(schema), NotAKeyMessage(name, $"{column.Type}"));
    }

    /// <summary>Why a label column that is not a key is refused, and what to do about it.</summary>
    public static string NotAKeyMessage(string name, string type) =>
        $"The label column '{name}' must be a key, as for ML.NET's multiclass trainers, but it is {type}. " +
        $"Map it to a key first: mlContext.Transforms.Conversion.MapValueToKey(\"{name}\").";

    /// <summary>
    /// Reads features and key labels: key k becomes class k − 1 (C = key count, key values kept). Throws naming the
    /// column for an empty view, a missing key or fewer than two classes present.
    /// </summary>
    public static LabeledRows Read(IDataView input, string featureName, string labelName, string? stepName = null)
    {
        var (featureColumn, size) = FeatureColumn(input.Schema, featureName);
        DataViewSchema.Column labelColumn = LabelColumn(input.Schema, labelName);
        DataViewSchema.Column? stepColumn = stepName is null ? null : input.Schema.GetColumnOrNull(stepName);
        if (stepColumn is { } sc && sc.Type != NumberDataViewType.UInt32 && sc.Type != NumberDataViewType.Int32)
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"The step column '{stepName}' must be UInt32 or Int32, but it is {sc.Type}.");
        }

        return ReadKeys(input, featureColumn, size, labelColumn, stepColumn);
    }

    private static LabeledRows ReadKeys(IDataView input, DataViewSchema.Column features, int size, DataViewSchema.Column label, DataViewSchema.Column? step)
    {
        var keyType = (KeyDataViewType)label.Type;
        if (keyType.Count < 2 || keyType.Count > int.MaxValue)
        {
            throw new InvalidOperationException($"The label column '{label.Name}' is a key of {keyType.Count} values; at least 2 classes are needed.");
        }

        int classCount = (int)keyType.Count;
        float[] values;
        int[] classes;
        int[]? steps;
        if (keyType.RawType == typeof(uint))
        {
            (values, classes, steps) = ReadColumns<uint>(input, features, size, label, step, (k, row) => KeyClass(k, row, label.Name, classCount));
        }
        else if (keyType.RawType == typeof(ushort))
        {
            (values, classes, steps) = ReadColumns<ushort>(input, features, size, label, step, (k, row) => KeyClass(k, row, label.Name, classCount));
        }
        else if (keyType.RawType == typeof(byte))
        {
            (values, classes, steps) = ReadColumns<byte>(input, features, size, label, step, (k, row) => KeyClass(k, row, label.Name, classCount));
        }
        else
        {
            (values, classes, steps) = ReadColumns<ulong>(input, features, size, label, step, (k, row) => KeyClass(k, row, label.Name, classCount));
        }

        KeyValues? keyValues = KeyValues.FromColumn(label);
        if (keyValues is not null && keyValues.Count != classCount)
        {
            keyValues = null;
        }

        CheckClasses(classes, classCount, label.Name);
        return new LabeledRows(values, size, classes, classCount, keyValues, steps);
    }

    private static int KeyClass(ulong key, long row, string column, int classCount)
    {
        if (key == 0 || key > (ulong)classCount)
        {
            throw new InvalidOperationException($"Row {row} of the label column '{column}' has the missing key (0) or a key outside 1…{classCount}: every row needs a label.");
        }

        return (int)key - 1;
    }

    private static int KeyClass(uint key, long row, string column, int classCount) => KeyClass((ulong)key, row, column, classCount);

    private static int KeyClass(ushort key, long row, string column, int classCount) => KeyClass((ulong)key, row, column, classCount);

    private static int KeyClass(byte key, long row, string column, int classCount) => KeyClass((ulong)key, row, column, classCount);

    private static void CheckClasses(int[] classes, int classCount, string labelName)
    {
        int present = classes.Distinct().Count();
        if (present < 2)
        {
            throw new InvalidOperationException(
                $"The label column '{labelName}' has {present} distinct class{(present == 1 ? string.Empty : "es")} in the input; at least 2 classes are needed.");
        }
    }

    private static (float[] Features, int[] Classes, int[]? Steps) ReadColumns<TLabel>(
        IDataView input, DataViewSchema.Column features, int size, DataViewSchema.Column label, DataViewSchema.Column? step, Func<TLabel, long, int> toClass)
    {
        DataViewSchema.Column[] needed = step is { } s ? [features, label, s] : [features, label];
        long? known = input.GetRowCount();
        var values = new float[checked((int)Math.Min((known ?? 1024) * size, Array.MaxLength))];
        var classes = new List<int>((int)Math.Min(known ?? 1024, int.MaxValue));
        var steps = step is null ? null : new List<int>();
        using (DataViewRowCursor cursor = input.GetRowCursor(needed))
        {
            ValueGetter<VBuffer<float>> featureGetter = cursor.GetGetter<VBuffer<float>>(features);
            ValueGetter<TLabel> labelGetter = cursor.GetGetter<TLabel>(label);
            Func<int>? stepGetter = step is null ? null : StepGetter(cursor, step.Value);
            VBuffer<float> buffer = default;
            TLabel labelValue = default!;
            int row = 0;
            while (cursor.MoveNext())
            {
                featureGetter(ref buffer);
                if (buffer.Length != size)
                {
                    throw new InvalidOperationException($"Row {row} of the feature column '{features.Name}' has {buffer.Length} values instead of {size}.");
                }

                if ((long)(row + 1) * size > values.Length)
                {
                    Array.Resize(ref values, checked((int)Math.Min(Math.Max(2L * values.Length, (long)(row + 1) * size), Array.MaxLength)));
                }

                Span<float> rowValues = values.AsSpan(row * size, size);
                CopyDense(buffer, rowValues);
                RequireFinite(rowValues, row, "feature", features.Name);
                labelGetter(ref labelValue);
                classes.Add(toClass(labelValue, row));
                steps?.Add(stepGetter!());
                row++;
            }
        }

        if (classes.Count == 0)
        {
            throw new InvalidOperationException($"The input has no rows: the feature column '{features.Name}' and the label column '{label.Name}' are empty.");
        }

        if (values.Length != classes.Count * size)
        {
            Array.Resize(ref values, classes.Count * size);
        }

        return (values, classes.ToArray(), steps?.ToArray());
    }

    /// <summary>
    /// The column <paramref name="name"/> of <paramref name="schema"/>; throws naming it (in the role
    /// <paramref name="role"/>) when it is missing or not a vector of <paramref name="size"/> Single values.
    /// </summary>
    public static DataViewSchema.Column VectorColumn(DataViewSchema schema, string name, int size, string role)
    {
        DataViewSchema.Column column = FindColumn(schema, name, role, $"a vector of {size} Single values");
        return column.Type is VectorDataViewType { ItemType: var item } vector && item == NumberDataViewType.Single && vector.Size == size
            ? column
            : throw new ArgumentOutOfRangeException(nameof(schema), $"The {role} column '{name}' must be a vector of {size} Single values, but it is {column.Type}.");
    }

    /// <summary>
    /// Reads the vector-of-Single column <paramref name="name"/> of <paramref name="size"/> values per row into one array,
    /// row after row; throws naming the column (in the role <paramref name="role"/>) as <see cref="VectorColumn"/> does,
    /// or at its first value that is not finite.
    /// </summary>
    public static float[] ReadVectors(IDataView input, string name, int size, string role)
    {
        DataViewSchema.Column column = VectorColumn(input.Schema, name, size, role);

        var values = new List<float>();
        var row = new float[size];
        using DataViewRowCursor cursor = input.GetRowCursor([column]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            CopyDense(buffer, row);
            RequireFinite(row, values.Count / size, role, column.Name);
            values.AddRange(row);
        }

        return values.ToArray();
    }

    /// <summary>Throws naming the row, column and slot of the first value that is not finite.</summary>
    private static void RequireFinite(ReadOnlySpan<float> values, long row, string role, string column)
    {
        if (System.Numerics.Tensors.TensorPrimitives.IsFiniteAll(values))
        {
            return;
        }

        int slot = 0;
        while (float.IsFinite(values[slot]))
        {
            slot++;
        }

        throw new InvalidOperationException($"Row {row} of the {role} column '{column}' has {values[slot]} in slot {slot}: every value must be a finite number.");
    }

    /// <summary>Writes a dense or sparse vector into <paramref name="target"/> as dense values.</summary>
    public static void CopyDense(in VBuffer<float> buffer, Span<float> target)
    {
        if (buffer.IsDense)
        {
            buffer.GetValues().CopyTo(target);
            return;
        }

        target.Clear();
        ReadOnlySpan<float> explicitValues = buffer.GetValues();
        ReadOnlySpan<int> indices = buffer.GetIndices();
        for (int i = 0; i < explicitValues.Length; i++)
        {
            target[indices[i]] = explicitValues[i];
        }
    }

    private static Func<int> StepGetter(DataViewRowCursor cursor, DataViewSchema.Column step)
    {
        if (step.Type == NumberDataViewType.UInt32)
        {
            ValueGetter<uint> getter = cursor.GetGetter<uint>(step);
            return () =>
            {
                uint v = 0;
                getter(ref v);
                return checked((int)v);
            };
        }

        ValueGetter<int> intGetter = cursor.GetGetter<int>(step);
        return () =>
        {
            int v = 0;
            intGetter(ref v);
            return v;
        };
    }
}
