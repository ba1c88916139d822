using Microsoft.ML.Data;

namespace Microsoft.ML.Transforms.DatasetDistillationInternal;

/// <summary>The kinds of label column the layer accepts.</summary>
internal enum LabelKind
{
    Key = 0,
    UInt32 = 1,
    Int32 = 2,
    Single = 3,
    Text = 4,
    Boolean = 5,
}

/// <summary>Rows read from a view: dense features, one class index per row, and how classes map back to label values.</summary>
internal sealed record LabeledRows(float[] Features, int FeatureCount, int[] Classes, int ClassCount, KeyValues? KeyValues, LabelKind Kind, int[]? Steps);

/// <summary>Checks the columns of a view and reads them through cursors.</summary>
internal static class LabeledRowReader
{
    public const string ExpectedFeature = "a known-size vector of Single";
    public const string ExpectedLabel = "a key, UInt32, Int32, Single, String or Boolean";

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

    /// <summary>The label column and its kind; throws naming the column when its type is not accepted.</summary>
    public static (DataViewSchema.Column Column, LabelKind Kind) LabelColumn(DataViewSchema schema, string name)
    {
        DataViewSchema.Column column = FindColumn(schema, name, "label", ExpectedLabel);
        DataViewType type = column.Type;
        LabelKind? kind = type switch
        {
            KeyDataViewType key when key.RawType == typeof(uint) || key.RawType == typeof(ushort) || key.RawType == typeof(byte) || key.RawType == typeof(ulong) => LabelKind.Key,
            TextDataViewType => LabelKind.Text,
            BooleanDataViewType => LabelKind.Boolean,
            _ when type == NumberDataViewType.UInt32 => LabelKind.UInt32,
            _ when type == NumberDataViewType.Int32 => LabelKind.Int32,
            _ when type == NumberDataViewType.Single => LabelKind.Single,
            _ => null,
        };
        return kind is null
            ? throw new ArgumentOutOfRangeException(nameof(schema), $"The label column '{name}' must be {ExpectedLabel}, but it is {type}.")
            : (column, kind.Value);
    }

    /// <summary>
    /// Reads features and labels. Labels become classes 0 … C−1: a key k gives k − 1 (C = key count, key values kept);
    /// UInt32, Int32 and Single labels are numbered in ascending order of their distinct values (NaN refused), text in
    /// ordinal order, and Boolean as false = 0, true = 1 (C = 2). Throws naming the column for an empty view,
    /// a missing key, a NaN or fewer than two classes.
    /// </summary>
    public static LabeledRows Read(IDataView input, string featureName, string labelName, string? stepName = null)
    {
        var (featureColumn, size) = FeatureColumn(input.Schema, featureName);
        var (labelColumn, kind) = LabelColumn(input.Schema, labelName);
        DataViewSchema.Column? stepColumn = stepName is null ? null : input.Schema.GetColumnOrNull(stepName);
        if (stepColumn is { } sc && sc.Type != NumberDataViewType.UInt32 && sc.Type != NumberDataViewType.Int32)
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"The step column '{stepName}' must be UInt32 or Int32, but it is {sc.Type}.");
        }

        return kind switch
        {
            LabelKind.Key => ReadKeys(input, featureColumn, size, labelColumn, stepColumn),
            LabelKind.UInt32 => ReadValues<uint>(input, featureColumn, size, labelColumn, stepColumn, kind, NumberDataViewType.UInt32, null),
            LabelKind.Int32 => ReadValues<int>(input, featureColumn, size, labelColumn, stepColumn, kind, NumberDataViewType.Int32, null),
            LabelKind.Single => ReadValues<float>(input, featureColumn, size, labelColumn, stepColumn, kind, NumberDataViewType.Single, float.IsNaN),
            LabelKind.Text => ReadText(input, featureColumn, size, labelColumn, stepColumn),
            _ => ReadBooleans(input, featureColumn, size, labelColumn, stepColumn),
        };
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
        return new LabeledRows(values, size, classes, classCount, keyValues, LabelKind.Key, steps);
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

    private static LabeledRows ReadValues<T>(IDataView input, DataViewSchema.Column features, int size, DataViewSchema.Column label, DataViewSchema.Column? step,
        LabelKind kind, PrimitiveDataViewType itemType, Func<T, bool>? invalid)
        where T : IComparable<T>
    {
        var raw = new List<T>();
        var (values, _, steps) = ReadColumns<T>(input, features, size, label, step, (v, row) =>
        {
            if (invalid?.Invoke(v) == true)
            {
                throw new InvalidOperationException($"Row {row} of the label column '{label.Name}' is NaN: every row needs a label.");
            }

            raw.Add(v);
            return 0;
        });
        T[] distinct = raw.Distinct().Order().ToArray();
        var index = new Dictionary<T, int>();
        for (int i = 0; i < distinct.Length; i++)
        {
            index[distinct[i]] = i;
        }

        int[] classes = raw.Select(v => index[v]).ToArray();
        CheckClasses(classes, distinct.Length, label.Name);
        return new LabeledRows(values, size, classes, distinct.Length, KeyValues.Of(itemType, distinct), kind, steps);
    }

    private static LabeledRows ReadText(IDataView input, DataViewSchema.Column features, int size, DataViewSchema.Column label, DataViewSchema.Column? step)
    {
        var raw = new List<string>();
        var (values, _, steps) = ReadColumns<ReadOnlyMemory<char>>(input, features, size, label, step, (v, _) =>
        {
            raw.Add(v.ToString());
            return 0;
        });
        string[] distinct = raw.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < distinct.Length; i++)
        {
            index[distinct[i]] = i;
        }

        int[] classes = raw.Select(v => index[v]).ToArray();
        CheckClasses(classes, distinct.Length, label.Name);
        return new LabeledRows(values, size, classes, distinct.Length, KeyValues.Of(TextDataViewType.Instance, distinct), LabelKind.Text, steps);
    }

    private static LabeledRows ReadBooleans(IDataView input, DataViewSchema.Column features, int size, DataViewSchema.Column label, DataViewSchema.Column? step)
    {
        var (values, classes, steps) = ReadColumns<bool>(input, features, size, label, step, (v, _) => v ? 1 : 0);
        CheckClasses(classes, 2, label.Name);
        return new LabeledRows(values, size, classes, 2, KeyValues.Of(BooleanDataViewType.Instance, new[] { false, true }), LabelKind.Boolean, steps);
    }

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

                CopyDense(buffer, values.AsSpan(row * size, size));
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
    /// Reads a vector-of-Single column of <paramref name="size"/> values per row into one array, row after row; throws
    /// naming the column (in the role <paramref name="role"/>) when it has another type or size.
    /// </summary>
    public static float[] ReadVectors(IDataView input, DataViewSchema.Column column, int size, string role)
    {
        if (column.Type is not VectorDataViewType { ItemType: var item } vector || item != NumberDataViewType.Single || vector.Size != size)
        {
            throw new ArgumentOutOfRangeException(nameof(input), $"The {role} column '{column.Name}' must be a vector of {size} Single values, but it is {column.Type}.");
        }

        var values = new List<float>();
        var row = new float[size];
        using DataViewRowCursor cursor = input.GetRowCursor([column]);
        ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(column);
        VBuffer<float> buffer = default;
        while (cursor.MoveNext())
        {
            getter(ref buffer);
            CopyDense(buffer, row);
            values.AddRange(row);
        }

        return values.ToArray();
    }

    /// <summary>Writes a dense or sparse vector into <paramref name="target"/> as dense values.</summary>
    private static void CopyDense(in VBuffer<float> buffer, Span<float> target)
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
